"""The webhook consumer: every event from its durable queue owed to the webhook
subscriptions that want it, the operator's routes among them.

Delivery to the consumer is at least once; the inbox turns redeliveries into no-ops and an
event is owed to a subscription once however often it is enqueued. The calls themselves
are :class:`~lana_adapters.messaging.subscription_delivery.SubscriptionSender`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from lana_adapters.messaging.handling import Handling, Transient
from lana_adapters.messaging.inbox import Inbox
from lana_adapters.messaging.operator_routes import OperatorSubscriptions
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.subscription_delivery import GroupedEnqueue
from lana_adapters.messaging.topology import Topology
from lana_adapters.messaging.worker import QueueWorker, WorkerStats
from lana_core.domain.events import DomainEvent
from lana_core.errors import LanaError
from lana_core.ports import Clock, UnitOfWorkFactory
from lana_core.system import SystemClock


class Owed:
    """The consumer's :class:`~lana_adapters.messaging.handling.Deliver`: sync the tenant's
    copies of the operator's routes, then owe the event to every subscription that wants
    it. A store that fails is Transient: the event is tried again, which owes nothing twice."""

    __slots__ = ("_operator", "_owe")

    def __init__(self, units: UnitOfWorkFactory, clock: Clock, operator: OperatorSubscriptions) -> None:
        self._owe = GroupedEnqueue(units, clock)
        self._operator = operator

    async def __call__(self, event: DomainEvent, body: bytes, attempt: int, /) -> None:
        try:
            await self._operator.ensure(event.tenant_id)
            await self._owe(event, body)
        except (LanaError, OSError) as failed:
            raise Transient(f"subscriptions unavailable: {failed}") from failed


class WebhookConsumer:
    """Consumes ``settings.queue`` (bound to every event) and owes each event to the
    subscriptions of ``subscriptions`` (units of work of the tenants' stores).

    Manual acks; an event that could not be owed (the store is down) is tried again after
    the delays of ``retry_delays_ms`` before any later event of its aggregate, and goes to
    ``<queue>.dlq`` after ``max_attempts`` with the last error in its headers; poison goes
    to the dead-letter queue at once.
    """

    def __init__(
        self,
        settings: MessagingSettings,
        inbox: Inbox,
        *,
        subscriptions: UnitOfWorkFactory,
        operator: OperatorSubscriptions,
        clock: Clock | None = None,
        on_loop: Callable[[], None] | None = None,
    ) -> None:
        clock = clock or SystemClock()
        handling = Handling(
            consumer=settings.consumer_name,
            inbox=inbox,
            deliver=Owed(subscriptions, clock, operator),
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
        await self._worker.run(stop)
