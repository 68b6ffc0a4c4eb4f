"""The one path a change takes after its commit.

A use case that changes something opens a :class:`ChangeUnit`: the port's unit of work, plus
what the use case wrote through it. Once committed, the unit says what became durable
(:class:`Committed`), and on leaving its block it hands that to the after-commit handlers
listed in :func:`after_commit_handlers`: nothing else runs after a commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from types import TracebackType
from uuid import UUID

from attrs import frozen

from lana_core.domain.analytics import AnalyticsEvent, EventKind
from lana_core.domain.events import DomainEvent
from lana_core.domain.tenancy import Actor, Operator
from lana_core.ports import ActivityCounters, Cache, IdFactory, UnitOfWork
from lana_core.usecases._activity import NoActivityCounters
from lana_core.usecases._recording import Change, written
from lana_core.usecases.caching import ANALYTICS, stale_namespaces


@frozen(kw_only=True)
class Committed:
    """What one unit of work made durable: its domain events, and its analytics events (one
    per domain event, then any ingested ones)."""

    tenant_id: UUID
    events: tuple[DomainEvent, ...]
    analytics: tuple[AnalyticsEvent, ...]

    @property
    def ingested(self) -> bool:
        """Whether analytics events were stored for their own sake, not for a domain change."""
        return len(self.analytics) > len(self.events)


AfterCommit = Callable[[Committed], Awaitable[None]]


def after_commit_handlers(cache: Cache, counters: ActivityCounters) -> tuple[AfterCommit, ...]:
    """What runs after every commit of a change, in this order: the cached views it made stale
    are dropped, then its product analytics events are counted into the live counters (when
    there are any: :class:`NoActivityCounters` count nothing; the system events of domain
    changes are never counted). Neither fails the change: the cache
    and the counters are best-effort."""

    async def drop_stale_views(committed: Committed) -> None:
        namespaces = stale_namespaces(event.type for event in committed.events)
        if committed.ingested and ANALYTICS not in namespaces:
            namespaces += (ANALYTICS,)
        if namespaces:
            await cache.invalidate(committed.tenant_id, namespaces)

    async def count_activity(committed: Committed) -> None:
        product = [event for event in committed.analytics if event.kind is EventKind.PRODUCT]
        if product:
            await counters.record(product)

    if isinstance(counters, NoActivityCounters):
        return (drop_stale_views,)
    return (drop_stale_views, count_activity)


class ChangeUnit:
    """A unit of work a use case changes things in (see ``Kernel.change``).

    Repositories are on ``uow``; :meth:`record` writes the changes' events, audit entries and
    analytics events, :meth:`ingest` stores analytics events of their own. After
    :meth:`commit`, ``committed`` holds what became durable; the after-commit handlers run
    with it once the block is left and the connection released, never for what was rolled
    back or left uncommitted.
    """

    __slots__ = (
        "_after_commit",
        "_analytics",
        "_events",
        "_ids",
        "_opened",
        "_tenant_id",
        "committed",
        "uow",
    )

    uow: UnitOfWork
    committed: Committed | None

    def __init__(
        self, opened: UnitOfWork, tenant_id: UUID, ids: IdFactory, after_commit: Sequence[AfterCommit]
    ) -> None:
        self._opened = opened
        self._tenant_id = tenant_id
        self._ids = ids
        self._after_commit = after_commit
        self._events: list[DomainEvent] = []
        self._analytics: list[AnalyticsEvent] = []
        self.committed = None

    async def __aenter__(self) -> ChangeUnit:
        self.uow = await self._opened.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._opened.__aexit__(exc_type, exc, tb)
        committed = self.committed
        if committed is None or not committed.analytics:
            return  # nothing durable (every domain event has its analytics event)
        for handler in self._after_commit:
            await handler(committed)

    async def record(self, actor: Actor | Operator, now: datetime, *changes: Change) -> None:
        """Write each change's domain event (outbox), audit entry and analytics event; they
        name the actor's author (an API key's id when one acts); an operator's, none."""
        events, entries, analytics = written(self._ids, actor, now, changes)
        await self.uow.outbox.append(events)
        await self.uow.audit.append(entries)
        await self.uow.analytics.add_many(analytics)
        self._events.extend(events)
        self._analytics.extend(analytics)

    async def ingest(self, analytics: Sequence[AnalyticsEvent]) -> None:
        """Store analytics events that record no domain change."""
        await self.uow.analytics.add_many(analytics)
        self._analytics.extend(analytics)

    async def commit(self) -> None:
        """Commit the unit (raises Conflict on a clash found at commit time, as the port does)."""
        await self.uow.commit()
        before = self.committed
        self.committed = Committed(
            tenant_id=self._tenant_id,
            events=(*before.events, *self._events) if before else tuple(self._events),
            analytics=(*before.analytics, *self._analytics) if before else tuple(self._analytics),
        )
        self._events.clear()
        self._analytics.clear()

    async def rollback(self) -> None:
        await self.uow.rollback()
        self._events.clear()
        self._analytics.clear()
