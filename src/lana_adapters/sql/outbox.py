"""The outbox: events written in the unit of work's transaction, and the relay's view of them.

Rows are claimed by state with a lease, never by ``id > last_seen``, so an event whose
transaction commits after a later one's is still delivered. On PostgreSQL the claim
skips rows another relay holds locked (``FOR UPDATE SKIP LOCKED``), so several relays
can run; an insert trigger sends ``NOTIFY lana_outbox`` as a wake-up hint.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TypeVar
from uuid import UUID

import attrs
from sqlalchemy import Executable, Index, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.records import event_of, event_values
from lana_adapters.sql.relaying import LeasedRows
from lana_adapters.sql.repository import TxRepository
from lana_adapters.sql.tables import outbox
from lana_adapters.sql.writes import check_tenant, insert, writable
from lana_adapters.telemetry.context import current_trace_context
from lana_core.domain.events import DomainEvent
from lana_core.ports import OutboxRecord, OutboxRelayStore

NOTIFY_CHANNEL = "lana_outbox"
PENDING, PUBLISHED, DEAD = "pending", "published", "dead"
T = TypeVar("T")

o = outbox.c
# Declared beside the claim that relies on it (it joins ``outbox`` on the shared metadata;
# migration 0007 creates it): finds an aggregate's earlier pending rows without a scan.
PENDING_BY_AGGREGATE = Index(
    "ix_outbox_pending_aggregate",
    o.aggregate_id,
    o.seq,
    postgresql_where=o.state == PENDING,
    sqlite_where=o.state == PENDING,
)
_PUBLISHED = (
    outbox.update()
    .where(o.id.in_(bindparam("ids", expanding=True)), o.state == PENDING)
    .values(state=PUBLISHED, published_at=bindparam("now"), leased_until=None)
)
_RENEWED = (
    outbox.update()
    .where(o.id.in_(bindparam("ids", expanding=True)), o.state == PENDING)
    .values(leased_until=bindparam("until"))
)
_FAILED = (
    outbox.update()
    .where(o.id == bindparam("event_id"), o.state == PENDING)
    .values(attempts=o.attempts + 1, last_error=bindparam("error"), state=bindparam("new_state"))
)
_PENDING_COUNT = select(func.count()).where(o.state == PENDING)
# PostgreSQL numbers rows from the identity; SQLite, whose writer holds the only write lock,
# continues from the highest number.
_INSERT_POSTGRES = insert(outbox)
_INSERT_SQLITE = Prepared(
    outbox.insert().values(seq=select(func.coalesce(func.max(o.seq), 0) + 1).scalar_subquery()),
    table=outbox,
    keys=writable(outbox),
)


class SqlOutbox(TxRepository):
    """Stores a unit of work's events in its transaction; nothing leaves before commit."""

    __slots__ = ()

    async def append(self, events: Sequence[DomainEvent]) -> None:
        """Store events to publish after the transaction commits."""
        for event in events:
            check_tenant(self._tx, event.tenant_id, "event")
        if events:
            statement = _INSERT_POSTGRES if self._tx.postgres else _INSERT_SQLITE
            await self._tx.append(statement, [event_values(_traced(event)) for event in events])


def _traced(event: DomainEvent) -> DomainEvent:
    """``event`` carrying the active trace, so its publish and delivery join the recording request's trace."""
    if event.trace_context:
        return event
    carried = current_trace_context()
    return attrs.evolve(event, trace_context=carried) if carried else event


class SqlOutboxRelayStore(LeasedRows):
    """An :class:`~lana_core.ports.OutboxRelayStore` over the ``outbox`` table of every tenant.

    Each call is one short transaction of :class:`~lana_adapters.sql.relaying.RelayTransactions`
    (as ``role`` on PostgreSQL, retried ``retries`` times; on SQLite, queued for the write
    lock). A failed row keeps its lease (the relay renews it for the wait before its
    retry), so it is retried once the lease ends; a dead row is never claimed again.
    """

    __slots__ = ()

    async def claim(self, limit: int, lease_seconds: float) -> Sequence[OutboxRecord]:
        """Pending rows not leased by another relay, oldest first."""
        statement = _CLAIM_POSTGRES if self._transactions.postgres else _CLAIM_SQLITE
        params = self._claim_parameters(limit, lease_seconds)

        async def run(conn: AsyncConnection) -> list[OutboxRecord]:
            rows = sorted((await conn.execute(statement, params)).all(), key=lambda row: row.seq)
            return [
                OutboxRecord(event=event_of(r), attempts=r.attempts, last_error=r.last_error) for r in rows
            ]

        return await self._transactions.run(run, writes=True)

    async def renew(self, event_ids: Sequence[UUID], lease_seconds: float) -> None:
        """Lease those of these rows still pending until ``lease_seconds`` from now."""
        if not event_ids:
            return
        until = self._clock.now() + timedelta(seconds=lease_seconds)
        params = {"ids": list(event_ids), "until": until}
        await self._transactions.run(lambda conn: conn.execute(_RENEWED, params), writes=True)

    async def mark_published(self, event_ids: Sequence[UUID]) -> None:
        if not event_ids:
            return
        params = {"ids": list(event_ids), "now": self._clock.now()}
        await self._transactions.run(lambda conn: conn.execute(_PUBLISHED, params), writes=True)

    async def mark_failed(self, event_id: UUID, error: str, *, dead: bool) -> None:
        """Record a failed publish; a ``dead`` row is never claimed again."""
        params = {"event_id": event_id, "error": error, "new_state": DEAD if dead else PENDING}
        await self._transactions.run(lambda conn: conn.execute(_FAILED, params), writes=True)

    async def pending_count(self) -> int:
        """Rows neither published nor dead, leased or not."""

        async def run(conn: AsyncConnection) -> int:
            return int((await conn.execute(_PENDING_COUNT)).scalar_one())

        return await self._transactions.run(run)


def _claim(*, skip_locked: bool) -> Executable:
    """Lease the oldest due pending rows, each only with every earlier pending row of its aggregate.

    A row whose aggregate has an earlier pending row outside this claim (leased by another
    relay, waiting for its retry, or being claimed right now) is left for later, so several
    relays never publish an aggregate's events out of order. With ``skip_locked``, rows
    another relay is claiming right now are passed over instead of waited for.
    """
    due = (o.leased_until.is_(None)) | (o.leased_until <= bindparam("now"))
    oldest = select(o.seq, o.aggregate_id).where(o.state == PENDING, due)
    oldest = oldest.order_by(o.seq).limit(bindparam("limit"))
    if skip_locked:
        oldest = oldest.with_for_update(skip_locked=True)
    candidates = oldest.cte("candidates")
    earlier = outbox.alias("earlier")
    held_back = (
        select(earlier.c.seq)
        .where(
            earlier.c.aggregate_id == candidates.c.aggregate_id,
            earlier.c.state == PENDING,
            earlier.c.seq < candidates.c.seq,
            earlier.c.seq.not_in(select(candidates.c.seq)),
        )
        .exists()
    )
    claimable = select(candidates.c.seq).where(~held_back)
    return (
        outbox.update()
        .where(o.seq.in_(claimable))
        .values(leased_until=bindparam("until"))
        .returning(*outbox.c)
    )


_CLAIM_POSTGRES = _claim(skip_locked=True)
_CLAIM_SQLITE = _claim(skip_locked=False)


def _satisfies_the_port(store: SqlOutboxRelayStore) -> OutboxRelayStore:
    """Never called: mypy checks here that the relay store satisfies the core's Protocol."""
    return store
