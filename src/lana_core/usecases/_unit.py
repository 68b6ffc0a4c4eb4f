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

from attrs import define, field, frozen

from lana_core.domain.analytics import AnalyticsEvent, EventKind
from lana_core.domain.events import DomainEvent
from lana_core.domain.tenancy import Actor, Operator
from lana_core.ports import ActivityCounters, Cache, IdFactory, UnitOfWork
from lana_core.usecases._activity import NoActivityCounters
from lana_core.usecases._recording import Change, written
from lana_core.usecases.caching import ANALYTICS, stale_namespaces


@frozen(kw_only=True)
class Committed:
    """What one unit of work made durable, as the after-commit handlers need it: the types of
    its domain events, its product analytics events, and whether it stored analytics events
    for their own sake. Not the events themselves: an import commits a million of them."""

    tenant_id: UUID
    event_types: frozenset[str]
    product_analytics: tuple[AnalyticsEvent, ...]
    ingested: bool


AfterCommit = Callable[[Committed], Awaitable[None]]


def after_commit_handlers(cache: Cache, counters: ActivityCounters) -> tuple[AfterCommit, ...]:
    """What runs after every commit of a change, in this order: the cached views it made stale
    are dropped, then its product analytics events are counted into the live counters (when
    there are any: :class:`NoActivityCounters` count nothing; the system events of domain
    changes are never counted). Neither fails the change: the cache
    and the counters are best-effort."""

    async def drop_stale_views(committed: Committed) -> None:
        namespaces = stale_namespaces(sorted(committed.event_types))
        if committed.ingested and ANALYTICS not in namespaces:
            namespaces += (ANALYTICS,)
        if namespaces:
            await cache.invalidate(committed.tenant_id, namespaces)

    async def count_activity(committed: Committed) -> None:
        if committed.product_analytics:
            await counters.record(committed.product_analytics)

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
        "_ids",
        "_opened",
        "_pending",
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
        self._pending = _Written()
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
        if committed is None:
            return  # nothing durable
        for handler in self._after_commit:
            await handler(committed)

    async def record(self, actor: Actor | Operator, now: datetime, *changes: Change) -> None:
        """Write each change's domain event (outbox), audit entry and analytics event; they
        name the actor's author (an API key's id when one acts); an operator's, none."""
        events, entries, analytics = written(self._ids, actor, now, changes)
        await self.uow.outbox.append(events)
        await self.uow.audit.append(entries)
        await self.uow.analytics.add_many(analytics)
        self._pending.add(events, analytics)

    async def ingest(self, analytics: Sequence[AnalyticsEvent]) -> None:
        """Store analytics events that record no domain change."""
        await self.uow.analytics.add_many(analytics)
        self._pending.add((), analytics)

    async def commit(self) -> None:
        """Commit the unit (raises Conflict on a clash found at commit time, as the port does)."""
        await self.uow.commit()
        if self._pending.analytics:  # every domain event has its analytics event
            self.committed = self._pending.committed(self._tenant_id, self.committed)
        self._pending = _Written()

    async def rollback(self) -> None:
        await self.uow.rollback()
        self._pending = _Written()


@define
class _Written:
    """What a unit wrote since its last commit, summed up as it goes."""

    event_types: set[str] = field(factory=set)
    product: list[AnalyticsEvent] = field(factory=list)
    events: int = 0
    analytics: int = 0

    def add(self, events: Sequence[DomainEvent], analytics: Sequence[AnalyticsEvent]) -> None:
        self.event_types.update(event.type for event in events)
        self.product.extend(event for event in analytics if event.kind is EventKind.PRODUCT)
        self.events += len(events)
        self.analytics += len(analytics)

    def committed(self, tenant_id: UUID, before: Committed | None) -> Committed:
        """What became durable, with what an earlier commit of the unit made durable."""
        return Committed(
            tenant_id=tenant_id,
            event_types=frozenset(self.event_types) | (before.event_types if before else frozenset()),
            product_analytics=(*(before.product_analytics if before else ()), *self.product),
            ingested=self.analytics > self.events or (before is not None and before.ingested),
        )
