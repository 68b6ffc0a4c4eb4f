"""Live domain events: a customer created by one tenant reaches that tenant's watchers and
never another tenant's, through the in-process fan-out and through Redis pub/sub between
processes; over HTTP, as server-sent events from a real server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import uvicorn
from attrs import define, field
from dependency_injector import providers

from lana_adapters.container import Database
from lana_adapters.events_stream import EventStream, InMemoryEventStream, StreamPublisher, TeePublisher
from lana_adapters.messaging.outcome import BatchOutcome
from lana_adapters.messaging.relay import OutboxRelay
from lana_adapters.redis import RedisSettings, connect
from lana_adapters.redis.pubsub import RedisEventStream
from lana_core.domain.events import DomainEvent
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore
from lana_core.system import SystemClock
from lana_http import create_app
from tests.e2e.api import Api
from tests.e2e.conftest import http_settings, make_container
from tests.integration.redis.servers import free_port

BACKENDS = ["memory", pytest.param("redis", marks=pytest.mark.redis)]
WAIT = 5.0


@define
class FanOut:
    """Where the server's watchers listen, and where another process publishes."""

    serving: EventStream
    publishing: EventStream
    closers: list[Any] = field(factory=list)


@pytest.fixture(params=BACKENDS)
async def fan_out(request: pytest.FixtureRequest) -> AsyncIterator[FanOut]:
    if request.param == "memory":
        local = InMemoryEventStream()
        yield FanOut(local, local)
        return
    settings: RedisSettings = request.getfixturevalue("redis_settings")
    serving, publishing = (
        RedisEventStream(connect(settings), settings),
        RedisEventStream(connect(settings), settings),
    )
    yield FanOut(serving, publishing)
    await serving.aclose()
    await publishing.aclose()


def event(tenant: UUID, kind: str = "customer.created") -> DomainEvent:
    return DomainEvent(
        id=uuid4(),
        type=kind,
        tenant_id=tenant,
        aggregate_type="customer",
        aggregate_id=uuid4(),
        aggregate_version=1,
        occurred_at=datetime.now(UTC),
        actor_id=None,
        payload={"name": "Ada"},
    )


async def test_watchers_get_their_own_tenants_events_only(fan_out: FanOut) -> None:
    mine, theirs = uuid4(), uuid4()
    async with (
        fan_out.serving.subscribe(mine) as watching_mine,
        fan_out.serving.subscribe(theirs) as watching_theirs,
    ):
        sent = [event(mine), event(theirs), event(mine)]
        await fan_out.publishing.publish(sent)
        got_mine = [await asyncio.wait_for(anext(watching_mine), WAIT) for _ in range(2)]
        got_theirs = await asyncio.wait_for(anext(watching_theirs), WAIT)
    assert got_mine == [sent[0], sent[2]]
    assert got_theirs == sent[1]


async def test_a_watcher_that_falls_behind_is_cut_off_not_buffered_for_ever() -> None:
    stream, tenant = InMemoryEventStream(queue_size=3), uuid4()
    async with stream.subscribe(tenant) as watcher:
        sent = [event(tenant) for _ in range(5)]
        await stream.publish(sent)
        assert [e async for e in watcher] == sent[:3]  # what it held, then the end
        assert watcher.lagged


class RefusesOne:
    """A broker that confirms every event but ``refused``."""

    def __init__(self, refused: UUID) -> None:
        self._refused = refused

    async def publish_batch(self, events: Sequence[DomainEvent], stop: Callable[[], bool]) -> BatchOutcome:
        published = tuple(e.id for e in events if e.id != self._refused)
        return BatchOutcome(published=published, failed=((self._refused, "refused"),))

    async def tick(self) -> None:
        return None


async def test_the_relay_streams_only_what_the_broker_confirmed() -> None:
    stream, tenant = InMemoryEventStream(), uuid4()
    sent = [event(tenant) for _ in range(3)]
    async with stream.subscribe(tenant) as watcher:
        outcome = await TeePublisher(RefusesOne(sent[1].id), stream).publish_batch(sent, lambda: False)
        got = [await asyncio.wait_for(anext(watcher), WAIT) for _ in range(2)]
    assert outcome.failed == ((sent[1].id, "refused"),)
    assert got == [sent[0], sent[2]]


@asynccontextmanager
async def serving(store: InMemoryStore, stream: EventStream) -> AsyncIterator[str]:
    """A real HTTP server on the in-memory store with the live stream registered."""
    # The test relays the outbox itself, through the fan-out under test.
    container = make_container("memory://", embedded_relay=False)
    container.database.override(providers.Object(Database.in_memory(store)))
    container.event_stream.override(providers.Object(stream))
    app = create_app(container, http_settings())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await asyncio.wait_for(_until(lambda: server.started), WAIT)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = server.force_exit = True
        await task


class Watcher:
    """A client reading the stream; ``events`` fills as messages arrive."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.events: list[dict[str, Any]] = []
        self.subscribed = asyncio.Event()

    async def run(self) -> None:
        async with self.api.client.stream(
            "GET", "/api/v1/events/stream", headers=self.api.headers
        ) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                if line.startswith(": subscribed"):
                    self.subscribed.set()
                elif line.startswith("data: "):
                    self.events.append(json.loads(line.removeprefix("data: ")))

    def created(self) -> list[str]:
        return [e["aggregate_id"] for e in self.events if e["type"] == "customer.created"]


async def test_a_created_customer_reaches_its_tenants_stream_and_no_other(fan_out: FanOut) -> None:
    store = InMemoryStore()
    relay = OutboxRelay(InMemoryOutboxRelayStore(store, SystemClock()), StreamPublisher(fan_out.publishing))
    async with AsyncExitStack() as stack:
        base = await stack.enter_async_context(serving(store, fan_out.serving))
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=WAIT))
        alpha, beta = await Api.signup(client), await Api.signup(client)  # type: ignore[arg-type]
        tenants = [(await api.me())["tenant_id"] for api in (alpha, beta)]
        watchers = [Watcher(alpha), Watcher(beta)]
        tasks = [asyncio.create_task(watcher.run()) for watcher in watchers]
        await asyncio.wait_for(asyncio.gather(*(w.subscribed.wait() for w in watchers)), WAIT)

        mine = await alpha.customer(name="Ada Lovelace")
        await relay.run_once()
        await asyncio.wait_for(_until(lambda: bool(watchers[0].created())), WAIT)
        theirs = await beta.customer(name="Grace Hopper")
        await relay.run_once()
        await asyncio.wait_for(_until(lambda: bool(watchers[1].created())), WAIT)
        for task in tasks:
            task.cancel()

    assert watchers[0].created() == [mine["id"]]
    assert watchers[1].created() == [theirs["id"]]
    for watcher, tenant in zip(watchers, tenants, strict=True):
        assert {e["tenant_id"] for e in watcher.events} == {tenant}


async def _until(condition: Callable[[], bool]) -> None:
    # Polling: the server and the watcher tasks offer no event to wait on.
    while not condition():  # noqa: ASYNC110
        await asyncio.sleep(0.01)
