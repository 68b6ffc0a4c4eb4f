"""Live domain events per tenant for the clients watching them (server-sent events).

This module holds the stream's contract and its in-process form; with Redis, the
fan-out across server processes is :class:`lana_adapters.redis.pubsub.RedisEventStream`.

The stream is best effort and at most once: a slow client is cut off rather than allowed
to hold memory, and an event published while Redis is down is not seen live. Clients
reconnect and read the records they need over the API; delivery guarantees belong to the
outbox and the broker, not to this view.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol
from uuid import UUID

from lana_adapters.messaging.outcome import BatchOutcome, BatchPublisher
from lana_core.domain.events import DomainEvent

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 1_000


class Subscription:
    """The events of one tenant for one watcher, in publish order; iteration ends when the
    stream closes or the watcher fell more than ``queue_size`` events behind (``lagged``)."""

    __slots__ = ("_queue", "lagged", "tenant_id")

    def __init__(self, tenant_id: UUID, queue_size: int) -> None:
        self.tenant_id = tenant_id
        self.lagged = False
        self._queue: asyncio.Queue[DomainEvent | None] = asyncio.Queue(queue_size + 1)

    def offer(self, event: DomainEvent) -> None:
        if self.lagged:
            return
        if self._queue.qsize() >= self._queue.maxsize - 1:
            self.lagged = True
            self.close()
            return
        self._queue.put_nowait(event)

    def close(self) -> None:
        while self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> DomainEvent:
        event = await self._queue.get()
        if event is None:
            raise StopAsyncIteration
        return event


class EventStream(Protocol):
    """Fans domain events out to the watchers of their tenant."""

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """Offer committed events to their tenants' watchers; never raises for a lost watcher."""
        ...

    def subscribe(self, tenant_id: UUID) -> AbstractAsyncContextManager[Subscription]:
        """Watch ``tenant_id``'s events from now on, until the block is left."""
        ...


class InMemoryEventStream:
    """An :class:`EventStream` within one process (also the local half of the Redis one)."""

    __slots__ = ("_queue_size", "_watchers")

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._watchers: dict[UUID, set[Subscription]] = {}

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """Offer each event to its tenant's watchers."""
        for event in events:
            self.deliver(event)

    def deliver(self, event: DomainEvent) -> None:
        for watcher in tuple(self._watchers.get(event.tenant_id, ())):
            watcher.offer(event)

    def watched(self, tenant_id: UUID) -> int:
        """How many watchers ``tenant_id`` has."""
        return len(self._watchers.get(tenant_id, ()))

    def tenants(self) -> tuple[UUID, ...]:
        return tuple(self._watchers)

    @asynccontextmanager
    async def subscribe(self, tenant_id: UUID) -> AsyncIterator[Subscription]:
        """Watch ``tenant_id``'s events until the block is left."""
        watcher = Subscription(tenant_id, self._queue_size)
        self._watchers.setdefault(tenant_id, set()).add(watcher)
        try:
            yield watcher
        finally:
            self._forget(watcher)

    def close(self) -> None:
        """End every subscription (at shutdown)."""
        for watchers in self._watchers.values():
            for watcher in watchers:
                watcher.close()

    def _forget(self, watcher: Subscription) -> None:
        watchers = self._watchers.get(watcher.tenant_id)
        if watchers is not None:
            watchers.discard(watcher)
            if not watchers:
                del self._watchers[watcher.tenant_id]


class StreamPublisher:
    """A :class:`~lana_adapters.messaging.outcome.BatchPublisher` feeding an :class:`EventStream`,
    so the outbox relay can serve live watchers (alone, or teed after the broker)."""

    __slots__ = ("_stream",)

    def __init__(self, stream: EventStream) -> None:
        self._stream = stream

    async def publish_batch(self, events: Sequence[DomainEvent], stop: Callable[[], bool]) -> BatchOutcome:
        """Offer the events to the stream; the stream never refuses one."""
        await self._stream.publish(events)
        return BatchOutcome(published=tuple(event.id for event in events))

    async def tick(self) -> None:
        return None


class TeePublisher:
    """A :class:`~lana_adapters.messaging.outcome.BatchPublisher` that publishes to the broker,
    then offers the events the broker confirmed to an :class:`EventStream`. The stream
    never changes the outcome: a lost live event must not make the relay publish twice."""

    __slots__ = ("_primary", "_stream")

    def __init__(self, primary: BatchPublisher, stream: EventStream) -> None:
        self._primary = primary
        self._stream = stream

    async def publish_batch(self, events: Sequence[DomainEvent], stop: Callable[[], bool]) -> BatchOutcome:
        """The broker's outcome; its confirmed events also go to the stream."""
        outcome = await self._primary.publish_batch(events, stop)
        confirmed = set(outcome.published)
        try:
            await self._stream.publish([event for event in events if event.id in confirmed])
        except Exception:  # best effort by design: the broker's outcome stands
            log.exception("live events not streamed")
        return outcome

    async def tick(self) -> None:
        await self._primary.tick()
