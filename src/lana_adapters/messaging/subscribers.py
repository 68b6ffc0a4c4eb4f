"""In-process subscribers for library users: async handlers registered by event-type pattern.

The same registry feeds the in-memory bus (embedded mode: the relay calls the handlers
in its own process) or a durable kombu queue (handlers run in a worker process, with the
consumer's retries, dead-letter queue and inbox)::

    subscribers = Subscribers()

    @subscribers.on("customer.*")
    async def welcome(event: DomainEvent) -> None: ...

    relay = in_process_relay(InMemoryOutboxRelayStore(store, clock), subscribers)
    # or: await subscribers.consumer(settings, inbox, queue="crm.welcome").run(stop)

Handlers must be idempotent: delivery is at least once, and when one handler of an event
fails, the event is delivered again to all of its handlers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from attrs import evolve

from lana_adapters.messaging.handling import Handling, Transient
from lana_adapters.messaging.inbox import Inbox
from lana_adapters.messaging.outcome import OneByOne
from lana_adapters.messaging.relay import OutboxRelay, RelayOptions
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.topology import Topology
from lana_adapters.messaging.worker import QueueWorker, WorkerStats
from lana_core.domain.events import DomainEvent, matches
from lana_core.memory import InMemoryEventBus
from lana_core.ports import Clock, OutboxRelayStore
from lana_core.system import SystemClock

Handler = Callable[[DomainEvent], Awaitable[None]]


class Subscribers:
    """Handlers by AMQP topic pattern (``*`` one word, ``#`` any number), in registration order."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[tuple[str, Handler]] = []

    def on(self, pattern: str) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`add`."""

        def register(handler: Handler) -> Handler:
            self.add(pattern, handler)
            return handler

        return register

    def add(self, pattern: str, handler: Handler) -> None:
        """Call ``handler`` for events whose type matches ``pattern``; raises ValueError on an empty one."""
        if not pattern.strip():
            raise ValueError("a subscription needs a pattern")
        self._entries.append((pattern, handler))

    @property
    def patterns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(pattern for pattern, _ in self._entries))

    async def dispatch(self, event: DomainEvent, body: bytes = b"", attempt: int = 1) -> None:
        """Run every matching handler (they get the event only); raises Transient naming the
        failures after all ran."""
        failures = []
        for pattern, handler in self._entries:
            if matches(pattern, event.type):
                try:
                    await handler(event)
                except Exception as error:  # the other handlers still run
                    failures.append(f"{getattr(handler, '__name__', handler)}: {error!r}")
        if failures:
            raise Transient("; ".join(failures))

    def attach(self, bus: InMemoryEventBus) -> Callable[[], None]:
        """Subscribe every handler to ``bus``; returns a function that unsubscribes them all."""
        undo = [bus.subscribe(pattern, handler) for pattern, handler in self._entries]

        def detach() -> None:
            for unsubscribe in undo:
                unsubscribe()

        return detach

    def consumer(
        self, settings: MessagingSettings, inbox: Inbox, *, queue: str, clock: Clock | None = None
    ) -> SubscriberConsumer:
        """A worker consuming durable queue ``queue`` (bound to these patterns) into the handlers."""
        return SubscriberConsumer(self, evolve(settings, queue=queue), inbox, clock or SystemClock())


class SubscriberConsumer:
    """Runs :class:`Subscribers` off a kombu queue, with the webhook consumer's retries, DLQ and inbox."""

    def __init__(
        self, subscribers: Subscribers, settings: MessagingSettings, inbox: Inbox, clock: Clock
    ) -> None:
        handling = Handling(
            consumer=settings.consumer_name,
            inbox=inbox,
            deliver=subscribers.dispatch,
            delays_ms=settings.retry_delays_ms,
            max_attempts=settings.max_attempts,
            clock=clock,
        )
        self._worker = QueueWorker(settings, Topology.of(settings, subscribers.patterns), handling)

    @property
    def stats(self) -> WorkerStats:
        return self._worker.stats

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; never raises for a broker outage."""
        await self._worker.run(stop)


def in_process_relay(
    store: OutboxRelayStore, subscribers: Subscribers, options: RelayOptions | None = None
) -> OutboxRelay:
    """A relay delivering committed events straight to ``subscribers`` in this process (embedded mode)."""
    bus = InMemoryEventBus()
    subscribers.attach(bus)
    return OutboxRelay(store, OneByOne(bus.publish), options)
