"""The ports: what the core needs from the outside world, as small Protocols.

Repositories live on a :class:`UnitOfWork` opened for one tenant, so no query of the
core can reach another tenant's records. Adapters satisfy these structurally.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, TypeVar
from uuid import UUID

from attrs import frozen

from lana_core.domain.analytics import (
    AnalyticsEvent,
    CustomerCounts,
    DayActivity,
    DayCount,
    EventCount,
    EventKind,
    InteractionDay,
    Interval,
    Metrics,
    ProjectCounts,
    TaskCounts,
    TimeBucket,
    UserMetrics,
)
from lana_core.domain.api_keys import ApiKey, ApiKeyView
from lana_core.domain.audit import AuditEntry
from lana_core.domain.customers import Customer, CustomerView
from lana_core.domain.duplicates import MatchKey
from lana_core.domain.events import DomainEvent
from lana_core.domain.import_jobs import ImportJob, ImportRefusal
from lana_core.domain.insights import Insight, InsightContext, InsightDraft
from lana_core.domain.interactions import Interaction
from lana_core.domain.pagination import Cursor, Page, PageRequest
from lana_core.domain.projects import Project, ProjectStats, Task, TaskStats
from lana_core.domain.queries import CustomerQuery, ProjectQuery, TaskQuery
from lana_core.domain.sessions import Session, SessionView
from lana_core.domain.tenancy import Tenant, User
from lana_core.domain.webhooks import Delivery, DeliveryAttempt, Subscription, WebhookEvent

T = TypeVar("T")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class IdFactory(Protocol):
    def new_id(self) -> UUID:
        """A fresh unique id (time-ordered where the adapter benefits)."""
        ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str:
        """A salted, slow hash of ``password``."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether ``password`` matches; takes as long for a miss as for a hit."""
        ...


class TenantRepository(Protocol):
    """Tenants are the one record read across tenants (to sign in to one by slug)."""

    async def add(self, tenant: Tenant) -> None:
        """Store a new tenant; raises Conflict if the slug is taken."""
        ...

    async def get(self, tenant_id: UUID) -> Tenant | None: ...

    async def get_by_slug(self, slug: str) -> Tenant | None: ...

    async def update(self, tenant: Tenant) -> None:
        """Store the tenant's new state; raises StaleVersion unless the stored
        ``settings_version`` is ``tenant.settings_version - 1``."""
        ...


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Store a new user; raises Conflict if the email is taken in the tenant."""
        ...

    async def get(self, user_id: UUID) -> User | None: ...

    async def get_by_email(self, email: str) -> User | None: ...

    async def update(self, user: User) -> None:
        """Store ``user``; raises Conflict unless the stored version is ``user.version - 1``."""
        ...

    async def list(self, page: PageRequest) -> Page[User]:
        """Users ordered by email."""
        ...


class SessionRepository(Protocol):
    """The sign-in sessions of one tenant. Ended sessions (revoked or expired) may be
    forgotten: :meth:`get` then returns None."""

    async def add(self, session: Session) -> None:
        """Store a new session."""
        ...

    async def get(self, session_id: UUID) -> Session | None: ...

    async def get_view(self, session_id: UUID) -> SessionView | None:
        """The session with its user's role and state, read together; None when either is gone."""
        ...

    async def update(self, session: Session) -> None:
        """Store ``session``; raises StaleVersion unless the stored version is ``session.version - 1``."""
        ...

    async def live_of(self, user_id: UUID, now: datetime) -> Sequence[Session]:
        """The user's sessions neither revoked nor expired at ``now``."""
        ...

    async def forget_ended(self, user_id: UUID, now: datetime) -> None:
        """Delete the user's sessions that were revoked or had expired at ``now``."""
        ...


class ApiKeyRepository(Protocol):
    """The API keys of one tenant, revoked and expired ones included (they are listed)."""

    async def add(self, key: ApiKey) -> None:
        """Store a new key."""
        ...

    async def get(self, key_id: UUID) -> ApiKey | None: ...

    async def get_view(self, key_id: UUID) -> ApiKeyView | None:
        """The key with its creator's role and state, read together; None when either is gone."""
        ...

    async def update(self, key: ApiKey) -> None:
        """Store ``key``; raises StaleVersion unless the stored version is ``key.version - 1``."""
        ...

    async def touch(self, key_id: UUID, now: datetime) -> None:
        """Set the key's ``last_used_at`` to ``now`` (no version change: bookkeeping, not an edit)."""
        ...

    async def list_all(self) -> Sequence[ApiKey]:
        """Every key of the tenant, newest first."""
        ...

    async def names(self, ids: Collection[UUID]) -> Mapping[UUID, str]:
        """The names of those of ``ids`` that are keys of the tenant (revoked ones too); other
        ids, such as users', are left out: how a record's author is told to be a key."""
        ...


class WebhookRepository(Protocol):
    """The webhook subscriptions of one tenant, and the deliveries owed to them.

    Subscriptions change in the unit of work's transaction (with their audit entries and
    events); so do enqueued and redelivered deliveries. Attempts are written by the
    :class:`WebhookDeliveryQueue` and only read here.
    """

    async def add(self, subscription: Subscription) -> None:
        """Store a new subscription."""
        ...

    async def get(self, subscription_id: UUID) -> Subscription | None: ...

    async def update(self, subscription: Subscription) -> None:
        """Store ``subscription``; raises StaleVersion unless the stored version is
        ``subscription.version - 1``."""
        ...

    async def delete(self, subscription: Subscription) -> None:
        """Delete the subscription with its deliveries and their attempts; raises StaleVersion
        unless it is stored at ``subscription.version``."""
        ...

    async def list(self, page: PageRequest) -> Page[Subscription]:
        """Subscriptions, newest first (ties: larger id first)."""
        ...

    async def list_all(self) -> Sequence[Subscription]:
        """Every subscription of the tenant, paused ones included, in no particular order:
        what an event is matched against."""
        ...

    async def enqueue(
        self, event: WebhookEvent, subscriptions: Sequence[Subscription], now: datetime
    ) -> Sequence[Delivery]:
        """Owe ``event`` to each of ``subscriptions``, each delivery pending and due at ``now``;
        an event already owed to a subscription is skipped (idempotent on (subscription,
        event)). Returns the deliveries made now; each gets a ``sequence`` above every
        earlier one's, so deliveries of one aggregate go out in the order enqueued."""
        ...

    async def get_delivery(self, delivery_id: UUID) -> Delivery | None: ...

    async def deliveries(self, subscription_id: UUID, page: PageRequest) -> Page[Delivery]:
        """The subscription's deliveries, last enqueued first (by ``sequence``)."""
        ...

    async def attempts(
        self, subscription_id: UUID, page: PageRequest, *, delivery_id: UUID | None = None
    ) -> Page[DeliveryAttempt]:
        """The subscription's delivery log (of one delivery, with ``delivery_id``), newest
        attempt first (ties: larger id first)."""
        ...

    async def redeliver(
        self,
        subscription_id: UUID,
        now: datetime,
        *,
        delivery_id: UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """Make deliveries of the subscription pending again, due at ``now`` (see
        :meth:`Delivery.redelivered`): the one ``delivery_id``, or those whose event occurred
        in ``[since, until)`` (either bound open when None). Returns how many."""
        ...


class CustomerRepository(Protocol):
    async def add(self, customer: Customer) -> None:
        """Store a new customer; raises Conflict if its email or external id is taken in the tenant."""
        ...

    async def add_many(self, batch: Sequence[Customer]) -> None:
        """Store new customers together; raises Conflict if any email or external id is taken
        in the tenant or repeated among them (the unit of work must then be rolled back)."""
        ...

    async def get(self, customer_id: UUID) -> Customer | None:
        """The customer, archived or not; None when it is not in this tenant."""
        ...

    async def emails_taken(self, emails: Collection[str]) -> set[str]:
        """Which of the (normalised) ``emails`` a customer of this tenant has, archived or not."""
        ...

    async def with_emails(self, emails: Collection[str]) -> list[Customer]:
        """The customers of this tenant, archived or not, whose (normalised) email is one of ``emails``."""
        ...

    async def with_external_ids(self, external_ids: Collection[str]) -> list[Customer]:
        """The customers of this tenant, archived or not, whose external id is one of ``external_ids``."""
        ...

    async def get_view(self, customer_id: UUID, today: date) -> CustomerView | None:
        """The customer with the stats of its live projects (overdue as of ``today``) and of
        their tasks, read together; None when it is not in this tenant."""
        ...

    async def update(self, customer: Customer) -> None:
        """Store ``customer``; raises Conflict unless the stored version is ``customer.version - 1``
        or if its new email or external id is taken."""
        ...

    async def list(self, query: CustomerQuery) -> Page[Customer]:
        """Matching customers in the query's stable order, one page at a time."""
        ...

    async def count(self, query: CustomerQuery) -> int:
        """How many customers :meth:`list` finds for ``query`` on all its pages together."""
        ...

    async def counts(self) -> CustomerCounts: ...

    async def created_per_day(self, since: datetime) -> Sequence[DayCount]:
        """Live customers created since ``since``, counted per UTC day, oldest first."""
        ...

    async def match_keys(self) -> Sequence[MatchKey]:
        """What duplicate detection reads of every live (not archived) customer, in any order."""
        ...

    async def move_related(self, source_ids: Collection[UUID], target_id: UUID, now: datetime) -> None:
        """Move the projects, tasks, interactions and insights of the customers ``source_ids`` to
        the customer ``target_id``; each moved project, task and interaction gets its next version
        (projects and tasks also ``updated_at = now``). Audit entries and analytics stay as written."""
        ...


class ProjectRepository(Protocol):
    async def add(self, project: Project) -> None: ...

    async def get(self, project_id: UUID) -> Project | None: ...

    async def update(self, project: Project) -> None:
        """Store ``project``; raises Conflict unless the stored version is ``project.version - 1``."""
        ...

    async def list(self, query: ProjectQuery) -> Page[Project]: ...

    async def count(self, query: ProjectQuery) -> int:
        """How many projects :meth:`list` finds for ``query`` on all its pages together."""
        ...

    async def stats_for_customer(self, customer_id: UUID, today: date) -> ProjectStats: ...

    async def recent_for_customer(self, customer_id: UUID, limit: int) -> Sequence[Project]:
        """The customer's live projects, newest first."""
        ...

    async def counts(self, today: date) -> ProjectCounts: ...


class TaskRepository(Protocol):
    async def add(self, task: Task) -> None: ...

    async def get(self, task_id: UUID) -> Task | None: ...

    async def update(self, task: Task) -> None:
        """Store ``task``; raises Conflict unless the stored version is ``task.version - 1``."""
        ...

    async def delete(self, task: Task) -> None:
        """Delete ``task`` for good; raises StaleVersion unless it is stored at ``task.version``."""
        ...

    async def list(self, query: TaskQuery) -> Page[Task]:
        """Matching tasks, oldest first."""
        ...

    async def count(self, query: TaskQuery) -> int:
        """How many tasks :meth:`list` finds for ``query`` on all its pages together."""
        ...

    async def stats_for_customer(self, customer_id: UUID) -> TaskStats: ...

    async def open_assigned_to(self, user_id: UUID, limit: int) -> Sequence[Task]:
        """The user's tasks not completed, in live projects of live customers: soonest due
        first (undated last), then oldest first; at most ``limit``."""
        ...

    async def counts(self, today: date) -> TaskCounts:
        """Counts over the tasks of live projects of live customers; overdue as of ``today``."""
        ...


class InteractionRepository(Protocol):
    async def add(self, interaction: Interaction) -> None: ...

    async def get(self, interaction_id: UUID) -> Interaction | None:
        """The interaction; None when it is not in this tenant (or was deleted)."""
        ...

    async def update(self, interaction: Interaction) -> None:
        """Store ``interaction``; raises StaleVersion unless the stored version is
        ``interaction.version - 1``."""
        ...

    async def delete(self, interaction: Interaction) -> None:
        """Delete ``interaction`` for good (it leaves every list and count); raises StaleVersion
        unless it is stored at ``interaction.version``."""
        ...

    async def list_for_customer(self, customer_id: UUID, page: PageRequest) -> Page[Interaction]:
        """The customer's interactions, newest ``occurred_at`` first."""
        ...

    async def count_for_customer(self, customer_id: UUID, since: datetime | None = None) -> int:
        """The customer's interactions; with ``since``, those that occurred at or after it."""
        ...

    async def last_for_customer(self, customer_id: UUID) -> Interaction | None: ...

    async def per_day(self, since: datetime, until: datetime) -> Sequence[InteractionDay]:
        """The tenant's interactions that occurred in ``[since, until)``, counted per UTC day
        and type; only days with interactions, oldest first."""
        ...


class InsightRepository(Protocol):
    async def add(self, insight: Insight) -> None: ...

    async def latest_for_customer(self, customer_id: UUID) -> Insight | None: ...

    async def list_for_customer(self, customer_id: UUID, page: PageRequest) -> Page[Insight]:
        """The customer's insights, newest first."""
        ...

    async def count_since(self, since: datetime) -> int:
        """Insights in this tenant created since ``since`` by a model (source = llm)."""
        ...


class AuditLog(Protocol):
    async def append(self, entries: Sequence[AuditEntry]) -> None: ...

    async def list_for_customer(
        self, customer_id: UUID, limit: int, *, after: Cursor | None = None
    ) -> Sequence[AuditEntry]:
        """Entries about the customer or its projects and tasks, newest first (ties: larger id
        first); with ``after``, only those past that (occurred_at, id) in this order."""
        ...


class Outbox(Protocol):
    async def append(self, events: Sequence[DomainEvent]) -> None:
        """Store events to publish after the transaction commits."""
        ...


class AnalyticsStore(Protocol):
    """The tenant's analytics events; every read counts events in ``[since, until)`` of one
    ``kind`` (see :class:`~lana_core.domain.analytics.EventKind`), or of both when None."""

    async def add_many(self, events: Sequence[AnalyticsEvent]) -> None: ...

    async def metrics(
        self, since: datetime, until: datetime, top: int, kind: EventKind | None = None
    ) -> Metrics: ...

    async def time_series(
        self, since: datetime, until: datetime, interval: Interval, kind: EventKind | None = None
    ) -> Sequence[TimeBucket]:
        """Event counts per bucket start (UTC), oldest first; empty buckets are omitted."""
        ...

    async def top_events(
        self, since: datetime, until: datetime, limit: int, kind: EventKind | None = None
    ) -> Sequence[EventCount]:
        """Most frequent event names, ties broken by name."""
        ...

    async def user_metrics(
        self, user_id: str, since: datetime, until: datetime, recent: int, kind: EventKind | None = None
    ) -> UserMetrics: ...

    async def count_for_subject(self, subject_id: UUID, since: datetime) -> int: ...


class ActivityCounters(Protocol):
    """Live counts of committed analytics events per tenant and UTC day: a fast, derived view
    of the :class:`AnalyticsStore`, which stays the source of truth."""

    async def record(self, events: Sequence[AnalyticsEvent]) -> None:
        """Count events that were just committed. Never raises: a missed count is repaired by a rebuild."""
        ...

    async def activity(self, tenant_id: UUID, day: date) -> DayActivity | None:
        """The tenant's counts on ``day``; None when unknown, so the caller asks the store."""
        ...


class ImportJobRepository(Protocol):
    async def add(self, job: ImportJob) -> None:
        """Store a new import job."""
        ...

    async def get(self, job_id: UUID) -> ImportJob | None:
        """The job; None when it is not in this tenant."""
        ...

    async def update(self, job: ImportJob) -> None:
        """Store ``job``; raises StaleVersion unless the stored version is ``job.version - 1``."""
        ...

    async def add_refusals(self, job_id: UUID, refusals: Sequence[ImportRefusal]) -> None:
        """Keep rows the job refused (lines not already kept)."""
        ...

    async def refusals(self, job_id: UUID) -> Sequence[ImportRefusal]:
        """The rows the job refused, by line."""
        ...


class UnitOfWork(Protocol):
    """One transaction in one tenant: everything commits together or not at all.

    Leaving the ``async with`` block without :meth:`commit` rolls back.
    """

    tenants: TenantRepository
    users: UserRepository
    sessions: SessionRepository
    api_keys: ApiKeyRepository
    webhooks: WebhookRepository
    customers: CustomerRepository
    projects: ProjectRepository
    tasks: TaskRepository
    interactions: InteractionRepository
    insights: InsightRepository
    import_jobs: ImportJobRepository
    audit: AuditLog
    outbox: Outbox
    analytics: AnalyticsStore

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make the changes durable; raises Conflict on a clash found at commit time."""
        ...

    async def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, tenant_id: UUID) -> UnitOfWork:
        """A unit of work whose repositories see only ``tenant_id``'s records."""
        ...


@frozen
class CacheKey:
    """A cache entry's name. The tenant is part of every key; ``schema`` changes with the
    shape of the cached value so a new release never reads an old shape."""

    tenant_id: UUID
    namespace: str
    params: str
    schema: int = 1

    def render(self) -> str:
        return f"lana:v{self.schema}:{self.tenant_id}:{self.namespace}:{self.params}"


class Cache(Protocol):
    """A best-effort cache: a failure reads as a miss, never as an error."""

    async def get_or_compute(
        self, key: CacheKey, kind: type[T], compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        """The cached value of ``kind`` or, on a miss, ``compute()`` stored for ``ttl_seconds``;
        concurrent misses of one key compute once."""
        ...

    async def invalidate(self, tenant_id: UUID, namespaces: Sequence[str]) -> None:
        """Drop every key of the tenant in ``namespaces``."""
        ...


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """Hand events to the bus; returns once the bus has accepted all, raises Unavailable."""
        ...


class InsightModel(Protocol):
    """Something that assesses a customer: a language model, or the rules engine."""

    name: str

    async def assess(self, context: InsightContext) -> InsightDraft:
        """Assess the customer; raises Unavailable when it cannot answer, whose message is the
        reason: ``timeout``, ``rate_limited``, ``refusal`` or ``invalid_output: <detail>`` are
        recorded as such; any other reason (``server_error``…) as ``model_unavailable: <it>``."""
        ...


@frozen(kw_only=True)
class OutboxRecord:
    """A stored event waiting for the relay; ``attempts`` counts failed publishes."""

    event: DomainEvent
    attempts: int
    last_error: str | None


class OutboxRelayStore(Protocol):
    """The relay's view of the outbox: claim committed rows, then settle each one.

    A claim is a lease: rows not settled before it ends can be claimed again, so a
    crashed relay loses nothing. A live relay renews the lease of the rows it is still
    publishing, so a lease can be short. Rows are claimed by state, never by
    ``id > last_seen``, so a transaction that commits late is still delivered.
    """

    async def claim(self, limit: int, lease_seconds: float) -> Sequence[OutboxRecord]:
        """Pending rows not leased by another relay, oldest first."""
        ...

    async def renew(self, event_ids: Sequence[UUID], lease_seconds: float) -> None:
        """Lease those of these rows still pending until ``lease_seconds`` from now (a relay
        keeping what it publishes, or putting off a refused row's retry)."""
        ...

    async def mark_published(self, event_ids: Sequence[UUID]) -> None: ...

    async def mark_failed(self, event_id: UUID, error: str, *, dead: bool) -> None:
        """Record a failed publish; a ``dead`` row is never claimed again."""
        ...

    async def pending_count(self) -> int: ...


@frozen(kw_only=True)
class ClaimedDelivery:
    """A delivery leased to one sender, with the subscription it goes to as it is now."""

    delivery: Delivery
    subscription: Subscription


class WebhookDeliveryQueue(Protocol):
    """The delivery worker's view of every tenant's deliveries: claim due ones, record each try.

    A claim is a lease, as the outbox relay's: a delivery not recorded before its lease ends
    (a crashed sender) is claimed again, so nothing is lost; the receiver de-duplicates by
    event id. Order per aggregate: a delivery is claimable only while no delivery of the same
    subscription and aggregate with a lower ``sequence`` is still open (pending or failed),
    leased or not, due or not.
    """

    async def claim(self, limit: int, lease_seconds: float) -> Sequence[ClaimedDelivery]:
        """At most ``limit`` open deliveries due by now, of active subscriptions, not leased,
        each the earliest open one of its subscription and aggregate; lowest sequence first.
        Each is leased for ``lease_seconds``."""
        ...

    async def record(self, delivery: Delivery, attempt: DeliveryAttempt) -> None:
        """Store ``attempt`` and the delivery's state after it (``Delivery.attempted``), and
        end its lease. Ignored when the delivery was deleted meanwhile (with its
        subscription), or when its stored ``attempts`` is not ``attempt.number - 1`` (another
        sender, which claimed it after this one's lease ended, recorded that attempt)."""
        ...

    async def record_many(self, outcomes: Sequence[tuple[Delivery, DeliveryAttempt]]) -> None:
        """:meth:`record` each of ``outcomes`` (delivery after the attempt, attempt) together,
        in one transaction: how a sender settles a batch of answers cheaply."""
        ...

    async def open_count(self) -> int:
        """Deliveries pending or failed, in every tenant."""
        ...
