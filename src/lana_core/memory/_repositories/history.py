"""The records of one tenant's history: interactions, and the append-only insights, audit entries
and outbox events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from lana_core.domain.analytics import InteractionDay, interaction_days
from lana_core.domain.audit import AuditEntry
from lana_core.domain.events import DomainEvent
from lana_core.domain.insights import Insight, InsightSource
from lana_core.domain.interactions import Interaction
from lana_core.domain.pagination import Cursor, Page, PageRequest, SortOrder
from lana_core.memory._listing import paginate
from lana_core.memory._merging import moved_insights
from lana_core.memory._staging import Scope


class InMemoryInteractionRepository:
    """The tenant's interactions, indexed by customer."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def add(self, interaction: Interaction) -> None:
        """Stage a new interaction; raises Conflict if its id exists."""
        self._scope.check_tenant(interaction.tenant_id, "interaction")
        self._scope.writing().interactions.add(self._scope.space().interactions, interaction)

    async def get(self, interaction_id: UUID) -> Interaction | None:
        return self._scope.staged.interactions.get(self._scope.space().interactions, interaction_id)

    async def update(self, interaction: Interaction) -> None:
        """Stage ``interaction``; raises StaleVersion unless the stored version is one less."""
        self._scope.check_tenant(interaction.tenant_id, "interaction")
        self._scope.writing().interactions.update(self._scope.space().interactions, interaction)

    async def delete(self, interaction: Interaction) -> None:
        """Stage the removal; raises StaleVersion unless it is stored at ``interaction.version``."""
        self._scope.check_tenant(interaction.tenant_id, "interaction")
        self._scope.writing().interactions.remove(self._scope.space().interactions, interaction)

    async def list_for_customer(self, customer_id: UUID, page: PageRequest) -> Page[Interaction]:
        """The customer's interactions, newest ``occurred_at`` first (ties: larger id first)."""
        rows = self._of(customer_id)
        return paginate(rows, key=_occurred_at, kind=datetime, order=SortOrder.DESC, page=page)

    async def count_for_customer(self, customer_id: UUID, since: datetime | None = None) -> int:
        found = self._of(customer_id)
        return len(found) if since is None else sum(1 for i in found if i.occurred_at >= since)

    async def last_for_customer(self, customer_id: UUID) -> Interaction | None:
        return max(self._of(customer_id), key=lambda i: (i.occurred_at, i.id), default=None)

    async def per_day(self, since: datetime, until: datetime) -> Sequence[InteractionDay]:
        """The interactions that occurred in ``[since, until)`` per UTC day and type, oldest day first."""
        rows = self._scope.staged.interactions.values(self._scope.space().interactions)
        return interaction_days(
            (i.occurred_at.astimezone(UTC).date(), i.type.value, 1)
            for i in rows
            if since <= i.occurred_at < until
        )

    def _of(self, customer_id: UUID) -> list[Interaction]:
        return self._scope.staged.interactions.children(self._scope.space().interactions, customer_id)


class InMemoryInsightRepository:
    """The tenant's stored insights, kept per customer."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def add(self, insight: Insight) -> None:
        self._scope.check_tenant(insight.tenant_id, "insight")
        self._scope.writing().insights.append(insight)

    async def latest_for_customer(self, customer_id: UUID) -> Insight | None:
        return max(self._of(customer_id), key=lambda i: (i.created_at, i.id), default=None)

    async def list_for_customer(self, customer_id: UUID, page: PageRequest) -> Page[Insight]:
        """The customer's insights, newest first (ties: larger id first)."""
        rows = self._of(customer_id)
        return paginate(rows, key=_created_at, kind=datetime, order=SortOrder.DESC, page=page)

    async def count_since(self, since: datetime) -> int:
        """Insights in this tenant created since ``since`` by a model (source = llm)."""
        committed = [i for rows in self._scope.space().insights.values() for i in rows]
        return sum(
            1
            for i in (*committed, *self._scope.staged.insights)
            if i.source == InsightSource.LLM and i.created_at >= since
        )

    def _of(self, customer_id: UUID) -> list[Insight]:
        committed = self._scope.space().insights.get(customer_id, [])
        if self._scope.staged.moved_insights:
            committed = moved_insights(self._scope, customer_id, committed)
        staged = [i for i in self._scope.staged.insights if i.customer_id == customer_id]
        return committed + staged if staged else committed


class InMemoryAuditLog:
    """The tenant's audit trail, kept per customer (entries about no customer under None)."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def append(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            self._scope.check_tenant(entry.tenant_id, "audit entry")
        self._scope.writing().audit.extend(entries)

    async def list_for_customer(
        self, customer_id: UUID, limit: int, *, after: Cursor | None = None
    ) -> Sequence[AuditEntry]:
        """Entries about the customer or its projects and tasks, newest first (ties: larger id
        first), past ``after`` when given."""
        committed = self._scope.space().audit.get(customer_id, [])
        staged = [e for e in self._scope.staged.audit if e.customer_id == customer_id]
        page = PageRequest(limit=limit, after=after)
        found = paginate((*committed, *staged), key=_at, kind=datetime, order=SortOrder.DESC, page=page)
        return list(found.items)


class InMemoryOutbox:
    """Stages events; at commit they join the store's outbox in commit order."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def append(self, events: Sequence[DomainEvent]) -> None:
        """Store events to publish after the transaction commits."""
        for event in events:
            self._scope.check_tenant(event.tenant_id, "event")
        self._scope.writing().outbox.extend(events)


def _occurred_at(interaction: Interaction) -> datetime:
    return interaction.occurred_at


def _at(entry: AuditEntry) -> datetime:
    return entry.occurred_at


def _created_at(insight: Insight) -> datetime:
    return insight.created_at
