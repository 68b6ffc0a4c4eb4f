"""The outbox relay: claim committed events, publish them, settle each row after the broker confirmed.

At-least-once: a row is marked published only after its confirm, so a crash between
publish and mark republishes it (same message id) and loses nothing. The lease on the
rows being published is short and renewed while the relay works on them: a relay that
dies gives its rows up within one lease, while a live one, however slow its broker,
keeps them (another relay taking them would publish an aggregate's events twice and out
of order).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from uuid import UUID

from attrs import define, field, frozen, validators

from lana_adapters.messaging.lifecycle import Backoff, sleep_or_stop
from lana_adapters.messaging.outcome import BatchOutcome, BatchPublisher
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.wakeup import Poll, WakeUp
from lana_core.domain.events import DomainEvent
from lana_core.errors import Unavailable
from lana_core.ports import OutboxRecord, OutboxRelayStore

log = logging.getLogger(__name__)


@frozen(kw_only=True)
class RelayOptions:
    """Batch size, lease (renewed while publishing), wait before a refused row's retry, idle
    poll, attempts before a row is dead, and the backoff ceiling."""

    batch_size: int = field(default=200, validator=validators.ge(1))
    lease_seconds: float = field(default=2.0, validator=validators.gt(0))
    retry_seconds: float = field(default=10.0, validator=validators.gt(0))
    poll_seconds: float = field(default=0.2, validator=validators.gt(0))
    max_attempts: int = field(default=10, validator=validators.ge(1))
    backoff_max_seconds: float = field(default=2.0, validator=validators.gt(0))
    start_delay_seconds: float = field(default=0.0, validator=validators.ge(0))

    @classmethod
    def of(cls, settings: MessagingSettings) -> RelayOptions:
        """Options from settings; the first claim waits one lease (see :class:`OutboxRelay`)."""
        return cls(
            batch_size=settings.relay_batch_size,
            lease_seconds=settings.relay_lease_seconds,
            retry_seconds=settings.relay_retry_seconds,
            poll_seconds=settings.relay_poll_seconds,
            max_attempts=settings.relay_max_attempts,
            backoff_max_seconds=settings.backoff_max_seconds,
            start_delay_seconds=settings.relay_lease_seconds,
        )


@define
class RelayStats:
    """Counters since the relay started."""

    batches: int = 0
    published: int = 0
    failed: int = 0
    dead: int = 0
    outages: int = 0


class OutboxRelay:
    """Moves events from an :class:`~lana_core.ports.OutboxRelayStore` to a :class:`BatchPublisher`.

    Per aggregate, events go out in version order, and a later one never overtakes an
    earlier one that failed and is waiting for its retry. A refused event is retried
    ``retry_seconds`` later and marked dead after ``max_attempts``. While a batch is
    published its rows' lease is renewed every third of ``lease_seconds``. Broker or database
    failures back off exponentially; a stop set mid-batch ends the batch after the
    event in flight, marks what was confirmed, and leaves the rest leased for the next
    run. Several relays may run at once: the store's leases keep them apart, and the SQL
    store's claim skips rows whose aggregate has an earlier row pending elsewhere, so
    they keep each aggregate's order too.

    With a store whose claim does not skip such rows (the in-memory one), a relay that
    replaces a crashed one should wait ``start_delay_seconds`` (one lease) before its
    first claim: the rows the predecessor held stay hidden until its leases end while
    later events of the same aggregates would be claimable, and would overtake them.
    The SQL store's claim holds those back itself, so a relay on it starts at once.
    """

    def __init__(
        self,
        store: OutboxRelayStore,
        publisher: BatchPublisher,
        options: RelayOptions | None = None,
        *,
        wakeup: WakeUp | None = None,
        on_loop: Callable[[], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._options = options or RelayOptions()
        self._wakeup = wakeup or Poll()
        self._on_loop = on_loop or (lambda: None)
        self._monotonic = monotonic
        self._unmarked: list[UUID] = []
        # aggregate id -> (the refused event holding it back, until when)
        self._blocked: dict[UUID, tuple[UUID, float]] = {}
        self.stats = RelayStats()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; never raises for a broker or database outage."""
        backoff = Backoff(0.2, self._options.backoff_max_seconds)
        await sleep_or_stop(stop, self._options.start_delay_seconds)
        while not stop.is_set():
            self._on_loop()
            try:
                claimed = await self.run_once(stop)
            except Unavailable as error:
                self.stats.outages += 1
                delay = backoff.next_delay()
                log.warning("relay paused %.1fs: %s", delay, error)
                await sleep_or_stop(stop, delay)
                continue
            backoff.reset()
            if claimed < self._options.batch_size:
                await self._idle(stop)
        await self._final_marks()

    async def run_once(self, stop: asyncio.Event | None = None) -> int:
        """One claim → publish → settle cycle; returns the rows claimed.

        Raises Unavailable when the database or the broker failed (confirmed events are
        marked first, or kept to be marked on the next call).
        """
        await self._flush_marks()
        records = await self._store.claim(self._options.batch_size, self._options.lease_seconds)
        if not records:
            return 0
        self.stats.batches += 1
        events = self._plan(records)
        stopped = stop.is_set if stop is not None else (lambda: False)
        async with self._holding([r.event.id for r in records]):
            outcome = await self._publisher.publish_batch(events, stopped)
        await self._settle({r.event.id: r for r in records}, outcome)
        if outcome.broken is not None:
            raise Unavailable(f"the broker failed mid-batch: {outcome.broken}")
        return len(records)

    @asynccontextmanager
    async def _holding(self, event_ids: list[UUID]) -> AsyncIterator[None]:
        """Renew the lease of ``event_ids`` until the block ends (a renewal under way is let
        finish, never cancelled mid-statement)."""
        done = asyncio.Event()
        renewing = asyncio.create_task(self._renew_until(done, event_ids))
        try:
            yield
        finally:
            done.set()
            await renewing

    async def _renew_until(self, done: asyncio.Event, event_ids: list[UUID]) -> None:
        lease = self._options.lease_seconds
        while not await sleep_or_stop(done, lease / 3):
            try:
                await self._store.renew(event_ids, lease)
            except Unavailable as error:
                # The publish goes on; if the lease runs out meanwhile, another relay may
                # publish these rows too (a duplicate the consumers absorb by id).
                log.warning("could not renew the lease of %d events: %s", len(event_ids), error)

    def _plan(self, records: Sequence[OutboxRecord]) -> list[DomainEvent]:
        """The events to publish now, each aggregate's in version order; held-back ones left out."""
        now = self._monotonic()
        self._blocked = {agg: hold for agg, hold in self._blocked.items() if hold[1] > now}
        # An aggregate held back by a refused event may go when that event is in this batch:
        # the publisher keeps the batch in order and stops the aggregate if it fails again.
        present = {r.event.id for r in records}
        events = [r.event for r in records if self._blocker(r.event) in (None, *present)]
        return in_aggregate_order(events)

    def _blocker(self, event: DomainEvent) -> UUID | None:
        hold = self._blocked.get(event.aggregate_id)
        return None if hold is None else hold[0]

    async def _settle(self, records: dict[UUID, OutboxRecord], outcome: BatchOutcome) -> None:
        self._unmarked.extend(outcome.published)
        self.stats.published += len(outcome.published)
        for event_id in outcome.published:
            self._release(records[event_id].event)
        await self._flush_marks()
        for event_id, reason in outcome.failed:
            await self._failed(records[event_id], reason)

    async def _failed(self, record: OutboxRecord, reason: str) -> None:
        dead = record.attempts + 1 >= self._options.max_attempts
        await self._store.mark_failed(record.event.id, reason, dead=dead)
        if not dead:
            await self._store.renew([record.event.id], self._options.retry_seconds)
        self.stats.failed += 1
        if dead:
            self.stats.dead += 1
            self._release(record.event)
            log.error(
                "event %s (%s) is dead after %d attempts: %s",
                record.event.id,
                record.event.type,
                record.attempts + 1,
                reason,
            )
            return
        until = self._monotonic() + self._options.retry_seconds * 2
        self._blocked[record.event.aggregate_id] = (record.event.id, until)
        log.warning("event %s (%s) refused, will retry: %s", record.event.id, record.event.type, reason)

    def _release(self, event: DomainEvent) -> None:
        hold = self._blocked.get(event.aggregate_id)
        if hold is not None and hold[0] == event.id:
            del self._blocked[event.aggregate_id]

    async def _flush_marks(self) -> None:
        if self._unmarked:
            await self._store.mark_published(list(self._unmarked))
            self._unmarked.clear()

    async def _final_marks(self) -> None:
        try:
            await self._flush_marks()
        except Unavailable as error:
            log.warning(
                "%d confirmed events left unmarked at stop (they will be republished): %s",
                len(self._unmarked),
                error,
            )

    async def _idle(self, stop: asyncio.Event) -> None:
        try:
            await self._publisher.tick()
        except Unavailable as error:
            log.debug("broker keep-alive failed: %s", error)
        await self._wakeup.wait(self._options.poll_seconds, stop)


def in_aggregate_order(events: Sequence[DomainEvent]) -> list[DomainEvent]:
    """``events`` with each aggregate's events sorted by version, in the slots that aggregate held."""
    by_aggregate: dict[UUID, list[DomainEvent]] = {}
    for event in events:
        by_aggregate.setdefault(event.aggregate_id, []).append(event)
    for group in by_aggregate.values():
        group.sort(key=lambda e: (e.aggregate_version, e.occurred_at, e.id), reverse=True)
    return [by_aggregate[event.aggregate_id].pop() for event in events]
