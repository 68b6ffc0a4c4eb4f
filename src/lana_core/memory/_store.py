"""Every committed record of every tenant, held in dicts and per-tenant indexes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from attrs import define

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
from lana_core.domain.webhooks import Delivery, DeliveryAttempt, Subscription
from lana_core.memory._tables import Kind, Table
from lana_core.ports import OutboxRecord

TENANT: Kind[Tenant] = Kind("tenant", version=lambda t: t.settings_version, unique={"slug": lambda t: t.slug})
USER: Kind[User] = Kind("user", version=lambda u: u.version, unique={"email": lambda u: u.email})
CUSTOMER: Kind[Customer] = Kind(
    "customer",
    version=lambda c: c.version,
    unique={"email": lambda c: c.email, "external_id": lambda c: c.external_id},
)
PROJECT: Kind[Project] = Kind("project", version=lambda p: p.version, parent=lambda p: p.customer_id)
TASK: Kind[Task] = Kind("task", version=lambda t: t.version, parent=lambda t: t.customer_id)
SESSION: Kind[Session] = Kind("session", version=lambda s: s.version, parent=lambda s: s.user_id)
API_KEY: Kind[ApiKey] = Kind("API key", version=lambda k: k.version, parent=lambda k: k.created_by)
IMPORT_JOB: Kind[ImportJob] = Kind("import", version=lambda j: j.version)
WEBHOOK: Kind[Subscription] = Kind("webhook subscription", version=lambda s: s.version)
# Deliveries change outside units of work too (the delivery queue records attempts), so a
# unit's redelivery does not check their version.
DELIVERY: Kind[Delivery] = Kind("webhook delivery", parent=lambda d: d.subscription_id)
INTERACTION: Kind[Interaction] = Kind(
    "interaction", version=lambda i: i.version, parent=lambda i: i.customer_id
)


class TenantSpace:
    """One tenant's committed records; reads of a tenant never touch another tenant's space."""

    __slots__ = (
        "analytics",
        "analytics_by_subject",
        "api_keys",
        "audit",
        "customers",
        "deliveries",
        "delivery_attempts",
        "import_jobs",
        "import_refusals",
        "insights",
        "interactions",
        "is_empty_stand_in",
        "open_deliveries",
        "projects",
        "sessions",
        "tasks",
        "users",
        "webhooks",
    )

    def __init__(self, *, is_empty_stand_in: bool = False) -> None:
        # The stand-in answers reads for tenants that have no records; nothing is ever written to it.
        self.is_empty_stand_in = is_empty_stand_in
        self.users = Table(USER)
        self.sessions = Table(SESSION)
        self.api_keys = Table(API_KEY)
        self.webhooks = Table(WEBHOOK)
        self.deliveries = Table(DELIVERY)
        # Deliveries pending or failed: what the delivery queue looks at, not every delivery ever made.
        self.open_deliveries: dict[UUID, None] = {}
        # Each subscription's attempts in the order they were recorded.
        self.delivery_attempts: dict[UUID, list[DeliveryAttempt]] = {}
        self.customers = Table(CUSTOMER)
        self.projects = Table(PROJECT)
        self.tasks = Table(TASK)
        self.interactions = Table(INTERACTION)
        self.import_jobs = Table(IMPORT_JOB)
        # job id -> line -> the refused row
        self.import_refusals: dict[UUID, dict[int, ImportRefusal]] = {}
        self.insights: dict[UUID, list[Insight]] = {}
        self.audit: dict[UUID | None, list[AuditEntry]] = {}
        self.analytics: list[AnalyticsEvent] = []
        # Insights count a customer's recent events; without this index that is a scan of the tenant.
        self.analytics_by_subject: dict[UUID, list[AnalyticsEvent]] = {}


@define
class OutboxRow:
    """A committed event the relay has not settled yet; ``leased_until`` hides it from other relays."""

    event: DomainEvent
    attempts: int = 0
    last_error: str | None = None
    leased_until: datetime | None = None

    def record(self) -> OutboxRecord:
        return OutboxRecord(event=self.event, attempts=self.attempts, last_error=self.last_error)


class InMemoryStore:
    """All tables of all tenants: what in-memory units of work commit into and read from.

    Share one store between the unit-of-work factory and the outbox relay store.
    """

    __slots__ = (
        "_empty",
        "_spaces",
        "dead_letters",
        "delivery_leases",
        "delivery_sequence",
        "outbox",
        "tenants",
    )

    def __init__(self) -> None:
        self.tenants = Table(TENANT)
        self._spaces: dict[UUID, TenantSpace] = {}
        # Pending events in commit order; published rows leave, dead ones move to dead_letters.
        self.outbox: dict[UUID, OutboxRow] = {}
        self.dead_letters: dict[UUID, OutboxRow] = {}
        self._empty = TenantSpace(is_empty_stand_in=True)
        # The last sequence number given to a webhook delivery, in any tenant.
        self.delivery_sequence = 0
        # Webhook deliveries claimed by a sender, until when.
        self.delivery_leases: dict[UUID, datetime] = {}

    def space(self, tenant_id: UUID) -> TenantSpace:
        """The tenant's space, created on its first commit."""
        space = self._spaces.get(tenant_id)
        if space is None:
            space = self._spaces[tenant_id] = TenantSpace()
        return space

    def spaces(self) -> list[TenantSpace]:
        """Every tenant's space (for workers that serve all tenants)."""
        return list(self._spaces.values())

    def peek(self, tenant_id: UUID) -> TenantSpace:
        """The tenant's space for reading; an empty one (never written) if it has none yet.

        Reads never create a space, so lookups with unknown tenant ids leave nothing behind.
        """
        return self._spaces.get(tenant_id, self._empty)
