"""What one unit of work has written but not committed, and the scope its repositories read through."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from attrs import evolve

from lana_core.domain.analytics import AnalyticsEvent
from lana_core.domain.api_keys import ApiKey
from lana_core.domain.audit import AuditEntry
from lana_core.domain.customers import Customer
from lana_core.domain.events import DomainEvent
from lana_core.domain.import_jobs import ImportJob, ImportRefusal
from lana_core.domain.insights import Insight
from lana_core.domain.interactions import Interaction
from lana_core.domain.projects import Project, Task
from lana_core.domain.sessions import Session
from lana_core.domain.tenancy import Tenant, User
from lana_core.domain.webhooks import Delivery, Subscription
from lana_core.memory._store import InMemoryStore, OutboxRow, TenantSpace
from lana_core.memory._tables import Pending, Table


class Staging:
    """Staged rows per table; appended records (audit, outbox, ...) are kept in order."""

    __slots__ = (
        "analytics",
        "api_keys",
        "audit",
        "customers",
        "deliveries",
        "forgotten_sessions",
        "import_jobs",
        "import_refusals",
        "insights",
        "interactions",
        "moved_insights",
        "outbox",
        "projects",
        "sessions",
        "tasks",
        "tenants",
        "touched_api_keys",
        "users",
        "webhooks",
    )

    def __init__(self) -> None:
        self.tenants: Pending[Tenant] = Pending()
        self.users: Pending[User] = Pending()
        self.sessions: Pending[Session] = Pending()
        self.forgotten_sessions: list[UUID] = []
        self.api_keys: Pending[ApiKey] = Pending()
        self.touched_api_keys: dict[UUID, datetime] = {}
        self.webhooks: Pending[Subscription] = Pending()
        self.deliveries: Pending[Delivery] = Pending()
        self.customers: Pending[Customer] = Pending()
        self.projects: Pending[Project] = Pending()
        self.tasks: Pending[Task] = Pending()
        self.interactions: Pending[Interaction] = Pending()
        self.import_jobs: Pending[ImportJob] = Pending()
        self.import_refusals: list[tuple[UUID, ImportRefusal]] = []
        self.insights: list[Insight] = []
        # Customer merges: the insights of each key move to its value's customer at commit.
        self.moved_insights: dict[UUID, UUID] = {}
        self.audit: list[AuditEntry] = []
        self.outbox: list[DomainEvent] = []
        self.analytics: list[AnalyticsEvent] = []

    def verify(self, store: InMemoryStore, space: TenantSpace) -> None:
        for pending, table in self._tables(store, space):
            pending.verify(table)

    def apply(self, store: InMemoryStore, space: TenantSpace) -> None:
        for pending, table in self._tables(store, space):
            pending.apply(table)
        _index_deliveries(space, self.deliveries.rows.values())
        for subscription_id in self.webhooks.removed:
            _forget_deliveries(store, space, subscription_id)
        for session_id in self.forgotten_sessions:
            _forget(space, session_id)
        for key_id, used_at in self.touched_api_keys.items():
            _touch(space, key_id, used_at)
        for job_id, refusal in self.import_refusals:
            space.import_refusals.setdefault(job_id, {}).setdefault(refusal.line, refusal)
        for insight in self.insights:
            space.insights.setdefault(insight.customer_id, []).append(insight)
        for source, target in self.moved_insights.items():
            moved = [evolve(i, customer_id=target) for i in space.insights.pop(source, [])]
            if moved:
                rows = space.insights.setdefault(target, [])
                rows.extend(moved)
                rows.sort(key=lambda i: (i.created_at, i.id))
        for entry in self.audit:
            space.audit.setdefault(entry.customer_id, []).append(entry)
        space.analytics.extend(self.analytics)
        for fact in self.analytics:
            if fact.subject_id is not None:
                space.analytics_by_subject.setdefault(fact.subject_id, []).append(fact)
        for event in self.outbox:
            store.outbox[event.id] = OutboxRow(event)

    def _tables(self, store: InMemoryStore, space: TenantSpace) -> list[tuple[Pending[Any], Table[Any]]]:
        """The tables this unit wrote to, each with its staged rows."""
        pairs: list[tuple[Pending[Any], Table[Any]]] = [
            (self.tenants, store.tenants),
            (self.users, space.users),
            (self.sessions, space.sessions),
            (self.api_keys, space.api_keys),
            (self.webhooks, space.webhooks),
            (self.deliveries, space.deliveries),
            (self.customers, space.customers),
            (self.projects, space.projects),
            (self.tasks, space.tasks),
            (self.interactions, space.interactions),
            (self.import_jobs, space.import_jobs),
        ]
        return [(pending, table) for pending, table in pairs if not pending.is_empty]


def _forget(space: TenantSpace, session_id: UUID) -> None:
    session = space.sessions.rows.pop(session_id, None)
    if session is not None:
        space.sessions.children.get(session.user_id, {}).pop(session_id, None)


def _index_deliveries(space: TenantSpace, deliveries: Iterable[Delivery]) -> None:
    for delivery in deliveries:
        if delivery.status.is_open:
            space.open_deliveries[delivery.id] = None
        else:
            space.open_deliveries.pop(delivery.id, None)


def _forget_deliveries(store: InMemoryStore, space: TenantSpace, subscription_id: UUID) -> None:
    """Drop a deleted subscription's deliveries and attempts."""
    for delivery_id in space.deliveries.children.pop(subscription_id, {}):
        space.deliveries.rows.pop(delivery_id, None)
        space.open_deliveries.pop(delivery_id, None)
        store.delivery_leases.pop(delivery_id, None)
    space.delivery_attempts.pop(subscription_id, None)


def _touch(space: TenantSpace, key_id: UUID, used_at: datetime) -> None:
    key = space.api_keys.rows.get(key_id)
    if key is not None:
        space.api_keys.rows[key_id] = evolve(key, last_used_at=used_at)


# Read-only stand-in while a unit of work has written nothing: opening one for a read costs no staging.
_NOTHING = Staging()


class Scope:
    """A unit of work's tenant, store and staged writes, shared by its repositories."""

    __slots__ = ("_space", "staged", "store", "tenant_id")

    def __init__(self, store: InMemoryStore, tenant_id: UUID) -> None:
        self.store = store
        self.tenant_id = tenant_id
        self.staged = _NOTHING
        self._space = store.peek(tenant_id)

    def space(self) -> TenantSpace:
        """The tenant's committed records; a tenant without any yet is looked up again on each read."""
        space = self._space
        if space.is_empty_stand_in:
            space = self._space = self.store.peek(self.tenant_id)
        return space

    def writing(self) -> Staging:
        if self.staged is _NOTHING:
            self.staged = Staging()
        return self.staged

    def check_tenant(self, tenant_id: UUID, kind: str) -> None:
        """Refuse a record of another tenant: a unit of work writes only its own tenant's rows."""
        if tenant_id != self.tenant_id:
            raise ValueError(f"this unit of work is for tenant {self.tenant_id}, not this {kind}'s tenant")

    def commit(self) -> None:
        """Check every staged change against the store, then apply them all; no await in between."""
        staged, self.staged = self.staged, _NOTHING
        if staged is _NOTHING:
            return
        space = self.store.space(self.tenant_id)
        staged.verify(self.store, space)
        staged.apply(self.store, space)

    def discard(self) -> None:
        self.staged = _NOTHING
