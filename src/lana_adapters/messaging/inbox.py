"""The consumer's inbox: which events it has applied, keyed by (consumer, event id).

A redelivered event finds its row and is acknowledged without a second effect. Order is
kept upstream (per aggregate, see :mod:`~lana_adapters.messaging.worker`), never by
refusing an event: each row keeps its aggregate's version for whoever audits the order.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, Self, TypeVar
from uuid import UUID

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.dml import ReturningInsert

from lana_adapters.messaging.coalesce import Coalescer
from lana_adapters.messaging.inbox_table import inbox
from lana_adapters.sql.errors import DRIVER_ERRORS, translate
from lana_core.domain.events import DomainEvent

if TYPE_CHECKING:
    from lana_adapters.messaging.inbox_pg import PgInboxStatements

T = TypeVar("T")


class Verdict(enum.Enum):
    NEW = "new"
    DUPLICATE = "duplicate"


class Inbox(Protocol):
    """What a consumer has applied, so a redelivered event changes nothing."""

    async def verdict(self, consumer: str, event: DomainEvent) -> Verdict:
        """DUPLICATE when recorded already, NEW otherwise. Raises Unavailable when the store
        cannot answer."""
        ...

    async def record(self, consumer: str, event: DomainEvent, at: datetime) -> bool:
        """Record ``event`` as applied; False when it was recorded already. Raises Unavailable."""
        ...


class InMemoryInbox:
    """An :class:`Inbox` in this process's memory (embedded mode, tests)."""

    __slots__ = ("_applied",)

    def __init__(self) -> None:
        self._applied: set[tuple[str, UUID]] = set()

    async def verdict(self, consumer: str, event: DomainEvent) -> Verdict:
        return Verdict.DUPLICATE if (consumer, event.id) in self._applied else Verdict.NEW

    async def record(self, consumer: str, event: DomainEvent, at: datetime) -> bool:
        key = (consumer, event.id)
        if key in self._applied:
            return False
        self._applied.add(key)
        return True

    def __len__(self) -> int:
        return len(self._applied)


i = inbox.c
_SEEN = select(i.consumer, i.event_id).where(
    tuple_(i.consumer, i.event_id).in_(bindparam("keys", expanding=True))
)
_Asked = tuple[str, DomainEvent]
_Done = tuple[str, DomainEvent, datetime]


def _verdict(seen: set[tuple[str, UUID]], consumer: str, event: DomainEvent) -> Verdict:
    return Verdict.DUPLICATE if (consumer, event.id) in seen else Verdict.NEW


def _firsts(done: Sequence[_Done], added: set[tuple[str, UUID]]) -> list[bool]:
    """For each of ``done``, whether it was newly recorded: a copy twice in a batch is new once."""
    firsts: list[bool] = []
    for consumer, event, _ in done:
        firsts.append((consumer, event.id) in added)
        added.discard((consumer, event.id))
    return firsts


def _row(consumer: str, event: DomainEvent, at: datetime) -> dict[str, object]:
    return {
        "consumer": consumer,
        "event_id": event.id,
        "tenant_id": event.tenant_id,
        "event_type": event.type,
        "aggregate_id": event.aggregate_id,
        "aggregate_version": event.aggregate_version,
        "processed_at": at,
    }


class SqlInbox:
    """An :class:`Inbox` in the ``inbox`` table (SQLite or PostgreSQL).

    Concurrent calls (the consumer's lanes) are answered together: the verdicts waiting
    take one query pair, the records waiting one INSERT and one commit (on PostgreSQL one
    prepared statement each, see :mod:`~lana_adapters.messaging.inbox_pg`). Database
    failures raise Unavailable; the consumer then leaves the message unacknowledged.
    On PostgreSQL it keeps two of the engine's connections until :meth:`aclose` (or the
    end of ``async with``).
    """

    __slots__ = ("_engine", "_insert", "_postgres", "_recorder", "_verdicts")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._postgres: PgInboxStatements | None = None
        if engine.dialect.name == "postgresql":
            from lana_adapters.messaging.inbox_pg import PgInboxStatements

            self._postgres = PgInboxStatements(engine)
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        # Run with many rows at once (executemany), it reports which were new.
        self._insert: ReturningInsert[tuple[str, UUID]] = (
            dialect.insert(inbox)
            .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
            .returning(i.consumer, i.event_id)
        )
        self._verdicts: Coalescer[_Asked, Verdict] = Coalescer(self._verdict_batch)
        self._recorder: Coalescer[_Done, bool] = Coalescer(self._record_batch)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Give back the connections the inbox keeps; it may be used again afterwards."""
        if self._postgres is not None:
            await self._postgres.aclose()

    async def verdict(self, consumer: str, event: DomainEvent) -> Verdict:
        return await self._verdicts((consumer, event))

    async def record(self, consumer: str, event: DomainEvent, at: datetime) -> bool:
        return await self._recorder((consumer, event, at))

    async def _verdict_batch(self, asked: Sequence[_Asked]) -> list[Verdict]:
        if self._postgres is not None:
            seen = await self._postgres.seen(asked)
            return [_verdict(seen, consumer, event) for consumer, event in asked]
        keys = list({(consumer, event.id) for consumer, event in asked})

        async def run(conn: AsyncConnection) -> list[Verdict]:
            seen = {(r.consumer, r.event_id) for r in await conn.execute(_SEEN, {"keys": keys})}
            return [_verdict(seen, consumer, event) for consumer, event in asked]

        return await self._run(run)

    async def _record_batch(self, done: Sequence[_Done]) -> list[bool]:
        unique = list({(consumer, event.id): (consumer, event, at) for consumer, event, at in done}.values())
        if self._postgres is not None:
            return _firsts(done, await self._postgres.record(unique))
        rows = [_row(consumer, event, at) for consumer, event, at in unique]

        async def run(conn: AsyncConnection) -> list[bool]:
            added = {(r.consumer, r.event_id) for r in await conn.execute(self._insert, rows)}
            return _firsts(done, added)

        return await self._run(run)

    async def _run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        try:
            async with self._engine.begin() as conn:
                return await work(conn)
        except DRIVER_ERRORS as error:
            raise translate(error) from error
