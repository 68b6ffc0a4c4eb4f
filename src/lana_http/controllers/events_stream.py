"""Live domain events of the caller's tenant as server-sent events.

The first message is the comment ``subscribed``: events from then on reach the client.
Each message after it is one event envelope (``event:`` its type, ``id:`` its id, ``data:`` the
JSON envelope). The stream shows only events about what the caller may read, ends when
the caller's access token expires (reconnect with a fresh one), and sends a comment
every ``KEEPALIVE_SECONDS`` so idle proxies keep it open. It is best effort: after a
reconnect, read what you need over the API.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Final, cast

from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import SkipValidation
from litestar.response import ServerSentEvent, ServerSentEventMessage

from lana_adapters.events_stream import EventStream
from lana_adapters.messaging.codec import encode_body
from lana_core.app import Lana
from lana_core.domain.events import DomainEvent
from lana_core.domain.policy import Action, Resource, is_allowed
from lana_core.domain.tenancy import Actor, TenantSettings
from lana_core.errors import Unavailable
from lana_http.controllers._common import API
from lana_http.problems import READ, documented
from lana_http.runtime import provide_claims

EVENT_STREAM_KEY: Final = "event_stream"
EVENT_STREAM_MEDIA_TYPE: Final = "text/event-stream"
KEEPALIVE_SECONDS = 15.0

_RESOURCES = {
    "customer": Resource.CUSTOMER,
    "project": Resource.PROJECT,
    "task": Resource.TASK,
    "interaction": Resource.INTERACTION,
    "insight": Resource.INSIGHT,
    "user": Resource.USER,
    "tenant": Resource.SETTINGS,
}


def provide_event_stream(state: State) -> EventStream:
    """The stream put in ``app.state[EVENT_STREAM_KEY]`` at start-up; raises Unavailable without one."""
    stream = state.get(EVENT_STREAM_KEY)
    if stream is None:
        raise Unavailable("live events are not enabled on this server")
    return cast("EventStream", stream)


def visible(actor: Actor, settings: TenantSettings, event: DomainEvent) -> bool:
    """Whether the policy lets ``actor`` read the record the event is about."""
    resource = _RESOURCES.get(event.aggregate_type, Resource.ANALYTICS)
    mine = str(actor.user_id)
    owned = mine in (event.payload.get("owner_id"), event.payload.get("assignee_id"))
    return is_allowed(actor, Action.READ, resource, owned=owned, settings=settings)


def _message(event: DomainEvent) -> ServerSentEventMessage:
    return ServerSentEventMessage(data=encode_body(event).decode(), event=event.type, id=str(event.id))


async def _messages(
    stream: EventStream, actor: Actor, settings: TenantSettings, until: datetime | None
) -> AsyncIterator[ServerSentEventMessage]:
    loop = asyncio.get_running_loop()
    lifetime = math.inf if until is None else (until - datetime.now(UTC)).total_seconds()
    deadline = loop.time() + lifetime
    async with stream.subscribe(actor.tenant_id) as events:
        # Tells the client that events from now on will reach it.
        yield ServerSentEventMessage(comment="subscribed", data=None)
        while (left := deadline - loop.time()) > 0:
            try:
                event = await asyncio.wait_for(anext(events), min(KEEPALIVE_SECONDS, left))
            except TimeoutError:
                yield ServerSentEventMessage(comment="keep-alive", data=None)
                continue
            except StopAsyncIteration:
                return
            if visible(actor, settings, event):
                yield _message(event)


class EventStreamController(Controller):
    path = f"{API}/events"
    tags = ("events",)
    dependencies = {"event_stream": Provide(provide_event_stream, sync_to_thread=False)}  # noqa: RUF012

    @get(
        "/stream",
        operation_id="streamEvents",
        media_type=EVENT_STREAM_MEDIA_TYPE,
        responses=documented(*READ),
    )
    async def stream(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        # A Protocol cannot be checked at run time: the provider returns the configured stream.
        event_stream: NamedDependency[SkipValidation[EventStream]],
        request: Request[Any, Any, Any],
    ) -> ServerSentEvent:
        """Server-sent events: the domain events of your tenant that you may read, as they happen."""
        tenant = await lana.get_tenant(actor)
        claims = provide_claims(request)
        until = None if claims is None else claims.expires_at
        return ServerSentEvent(_messages(event_stream, actor, tenant.settings, until))
