"""The consumer's inbox: which events it has applied, keyed by (consumer, event id).

A redelivered event finds its row and is acknowledged without a second effect; an
event older than one already applied to its aggregate is reported as stale, so a
consumer never applies a lower version after a higher one.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol, TypeVar
from uuid import UUID

from sqlalchemy import Insert, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lana_adapters.messaging.inbox_table import inbox
from lana_adapters.sql.errors import DRIVER_ERRORS, translate
from lana_core.domain.events import DomainEvent

T = TypeVar("T")


class Verdict(enum.Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    STALE = "stale"


class Inbox(Protocol):
    """What a consumer has applied, so a redelivered event changes nothing."""

    async def verdict(self, consumer: str, event: DomainEvent) -> Verdict:
        """DUPLICATE when recorded already; STALE when a higher version of its aggregate was
        recorded; NEW otherwise. Raises Unavailable when the store cannot answer."""
        ...

    async def record(self, consumer: str, event: DomainEvent, at: datetime) -> bool:
        """Record ``event`` as applied; False when it was recorded already. Raises Unavailable."""
        ...


class InMemoryInbox:
    """An :class:`Inbox` in this process's memory (embedded mode, tests)."""

    __slots__ = ("_applied", "_versions")

    def __init__(self) -> None:
        self._applied: set[tuple[str, UUID]] = set()
        self._versions: dict[tuple[str, UUID], int] = {}

    async def verdict(self, consumer: str, event: DomainEvent) -> Verdict:
        if (consumer, event.id) in self._applied:
            return Verdict.DUPLICATE
        top = self._versions.get((consumer, event.aggregate_id))
        return Verdict.STALE if top is not None and top > event.aggregate_version else Verdict.NEW

    async def record(self, consumer: str, event: DomainEvent, at: datetime) -> bool:
        key = (consumer, event.id)
        if key in self._applied:
            return False
        self._applied.add(key)
        aggregate = (consumer, event.aggregate_id)
        self._versions[aggregate] = max(self._versions.get(aggregate, 0), event.aggregate_version)
        return True

    def __len__(self) -> int:
        return len(self._applied)


i = inbox.c
_SEEN = select(i.event_id).where(i.consumer == bindparam("consumer"), i.event_id == bindparam("event_id"))
_TOP = select(func.max(i.aggregate_version)).where(
    i.consumer == bindparam("consumer"), i.aggregate_id == bindparam("aggregate_id")
)
_VERDICT = select(_SEEN.exists().label("seen"), _TOP.scalar_subquery().label("top"))


class SqlInbox:
    """An :class:`Inbox` in the ``inbox`` table (SQLite or PostgreSQL), one short transaction a call.

    Database failures raise Unavailable; the consumer then leaves the message unacknowledged.
    """

    __slots__ = ("_engine", "_insert")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._insert: Insert = dialect.insert(inbox).on_conflict_do_nothing(
            index_elements=["consumer", "event_id"]
        )

    async def verdict(self, consumer: str, event: DomainEvent) -> Verdict:
        params = {"consumer": consumer, "event_id": event.id, "aggregate_id": event.aggregate_id}

        async def run(conn: AsyncConnection) -> Verdict:
            row = (await conn.execute(_VERDICT, params)).one()
            if row.seen:
                return Verdict.DUPLICATE
            stale = row.top is not None and row.top > event.aggregate_version
            return Verdict.STALE if stale else Verdict.NEW

        return await self._run(run)

    async def record(self, consumer: str, event: DomainEvent, at: datetime) -> bool:
        values = {
            "consumer": consumer,
            "event_id": event.id,
            "tenant_id": event.tenant_id,
            "event_type": event.type,
            "aggregate_id": event.aggregate_id,
            "aggregate_version": event.aggregate_version,
            "processed_at": at,
        }

        async def run(conn: AsyncConnection) -> bool:
            return (await conn.execute(self._insert, values)).rowcount == 1

        return await self._run(run)

    async def _run(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        try:
            async with self._engine.begin() as conn:
                return await work(conn)
        except DRIVER_ERRORS as error:
            raise translate(error) from error
