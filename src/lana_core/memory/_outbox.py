"""The outbox relay's view of an in-memory store: lease pending events, then settle each one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from lana_core.memory._store import InMemoryStore
from lana_core.ports import Clock, OutboxRecord


class InMemoryOutboxRelayStore:
    """An :class:`~lana_core.ports.OutboxRelayStore` over the events committed to ``store``.

    Rows are claimed oldest (first committed) first. A claim leases a row until
    ``now + lease_seconds``; a failed row keeps its lease, so it is retried once the
    lease ends. A dead row moves to ``store.dead_letters`` and is never claimed again.
    """

    __slots__ = ("_clock", "_store")

    def __init__(self, store: InMemoryStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def claim(self, limit: int, lease_seconds: float) -> Sequence[OutboxRecord]:
        """Pending rows not leased by another relay, oldest first."""
        now = self._clock.now()
        until = now + timedelta(seconds=lease_seconds)
        claimed: list[OutboxRecord] = []
        for row in self._store.outbox.values():
            if len(claimed) >= limit:
                break
            if row.leased_until is not None and row.leased_until > now:
                continue
            row.leased_until = until
            claimed.append(row.record())
        return claimed

    async def renew(self, event_ids: Sequence[UUID], lease_seconds: float) -> None:
        """Lease those of these rows still pending until ``lease_seconds`` from now."""
        until = self._clock.now() + timedelta(seconds=lease_seconds)
        for event_id in event_ids:
            row = self._store.outbox.get(event_id)
            if row is not None:
                row.leased_until = until

    async def mark_published(self, event_ids: Sequence[UUID]) -> None:
        for event_id in event_ids:
            self._store.outbox.pop(event_id, None)

    async def mark_failed(self, event_id: UUID, error: str, *, dead: bool) -> None:
        """Record a failed publish; a ``dead`` row is never claimed again."""
        row = self._store.outbox.get(event_id)
        if row is None:
            return
        row.attempts += 1
        row.last_error = error
        if dead:
            del self._store.outbox[event_id]
            self._store.dead_letters[event_id] = row

    async def pending_count(self) -> int:
        """Rows neither published nor dead, leased or not."""
        return len(self._store.outbox)
