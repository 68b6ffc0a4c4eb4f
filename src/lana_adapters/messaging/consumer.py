"""The n8n consumer: events from its durable queue POSTed to the webhook of their route.

Delivery is at least once; the inbox turns redeliveries into no-ops, and the receiver
gets the event id as ``Idempotency-Key`` to dedupe its own side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from lana_adapters.messaging.handling import Deliver, Handling
from lana_adapters.messaging.inbox import Inbox
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.subscription_delivery import OwedThenRouted
from lana_adapters.messaging.topology import Topology
from lana_adapters.messaging.webhook import Routes, WebhookDelivery
from lana_adapters.messaging.webhook_client import WebhookClient
from lana_adapters.messaging.worker import QueueWorker, WorkerStats
from lana_core.ports import Clock, UnitOfWorkFactory
from lana_core.system import SystemClock


class WebhookConsumer:
    """Consumes ``settings.queue`` (bound to the routes' patterns) and POSTs each event, signed,
    to the first route matching its type.

    Manual acks; a failed call is retried after the delays of ``retry_delays_ms`` before any
    later event of its aggregate, and goes to ``<queue>.dlq`` after ``max_attempts`` with the
    last error in its headers; a 410 disables the route; poison goes to the dead-letter
    queue at once. Given ``subscriptions`` (units of work of the tenants' stores), each
    event is first owed to the subscriptions that want it (see
    :mod:`~lana_adapters.messaging.subscription_delivery`), then POSTed to its route if one
    matches; an event no route matches is then done, not dead.
    """

    def __init__(
        self,
        settings: MessagingSettings,
        inbox: Inbox,
        *,
        clock: Clock | None = None,
        on_loop: Callable[[], None] | None = None,
        subscriptions: UnitOfWorkFactory | None = None,
    ) -> None:
        self.routes = Routes(settings.webhook_routes)
        # One call at a time per lane: ``lanes`` connections serve them all. The routes are the
        # operator's own configuration, often a workflow engine on the private network: the SSRF
        # guard, there against URLs tenants choose, does not apply to them.
        self._client = WebhookClient(
            settings.webhook_timeout_seconds, connections=settings.lanes, allow_private=True
        )
        clock = clock or SystemClock()
        deliver: Deliver = WebhookDelivery(self.routes, self._client, settings.signing_secret)
        if subscriptions is not None:
            deliver = OwedThenRouted(subscriptions, clock, self.routes, deliver)
        handling = Handling(
            consumer=settings.consumer_name,
            inbox=inbox,
            deliver=deliver,
            delays_ms=settings.retry_delays_ms,
            max_attempts=settings.max_attempts,
            clock=clock,
        )
        self._worker = QueueWorker(settings, Topology.of(settings), handling, on_loop=on_loop)

    @property
    def stats(self) -> WorkerStats:
        return self._worker.stats

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; reconnects after broker failures, never raises for them."""
        try:
            await self._worker.run(stop)
        finally:
            await self._client.aclose()
