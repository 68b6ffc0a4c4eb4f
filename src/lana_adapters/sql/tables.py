"""The schema as SQLAlchemy Core tables; Alembic migrations build exactly this.

Every tenant-owned table leads its primary key with ``tenant_id`` and references other
tables through ``(tenant_id, id)``, so no row can point into another tenant and each
table can be distributed by tenant without a schema change.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)

from lana_adapters.sql.coltypes import (
    JsonDocument,
    JsonTags,
    SearchDocument,
    SearchVector,
    SortableText,
    UtcDateTime,
)
from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.import_jobs import ImportStatus
from lana_core.domain.insights import ChurnRisk, InsightSource
from lana_core.domain.interactions import InteractionType
from lana_core.domain.projects import Priority, ProjectStatus
from lana_core.domain.tenancy import Role
from lana_core.domain.webhooks import DeliveryStatus, WebhookFormat

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(referred_table_name)s",
    }
)

# Tables that hold one tenant's rows (row-level security applies to each).
TENANT_TABLES = (
    "users",
    "sessions",
    "api_keys",
    "import_jobs",
    "import_refusals",
    "webhook_subscriptions",
    "webhook_deliveries",
    "webhook_attempts",
    "customers",
    "projects",
    "tasks",
    "interactions",
    "insights",
    "audit_log",
    "outbox",
    "analytics_events",
)


def one_of(column: str, values: type[enum.StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


# Predicates of partial indexes.
_LIVE = "archived_at IS NULL"
_HAS_USER = "user_id IS NOT NULL"
_HAS_SUBJECT = "subject_id IS NOT NULL"


def _only(predicate: str) -> dict[str, Any]:
    """The options of a partial index over the rows ``predicate`` holds for, on both dialects."""
    return {"postgresql_where": text(predicate), "sqlite_where": text(predicate)}


def _tenant_id(*, references_tenants: bool = False) -> Column[object]:
    if references_tenants:
        return Column("tenant_id", Uuid, ForeignKey("tenants.id"), nullable=False)
    return Column("tenant_id", Uuid, nullable=False)


def _parent(table: str, column: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"], ondelete="CASCADE"
    )


tenants = Table(
    "tenants",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("slug", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("settings", JsonDocument, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("settings_version", Integer, nullable=False, server_default=text("1")),
)

users = Table(
    "users",
    metadata,
    _tenant_id(references_tenants=True),
    Column("id", Uuid, nullable=False),
    Column("email", SortableText, nullable=False),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "email"),
    one_of("role", Role),
)

# Sign-in sessions: the record every access token is checked against (see
# lana_core.domain.sessions). A user's ended sessions are deleted at its next sign-in.
sessions = Table(
    "sessions",
    metadata,
    _tenant_id(),
    Column("id", Uuid, nullable=False),
    Column("user_id", Uuid, nullable=False),
    Column("refresh_id", Uuid, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    _parent("users", "user_id"),
    Index("ix_sessions_user", "tenant_id", "user_id"),
)

# API keys (see lana_core.domain.api_keys): only a digest of each secret is stored;
# revoked and expired keys are kept, so a list shows what existed and the audit log's
# actor ids (a key's id) still resolve to a name.
api_keys = Table(
    "api_keys",
    metadata,
    _tenant_id(),
    Column("id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("secret_hash", Text, nullable=False),
    Column("created_by", Uuid, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    _parent("users", "created_by"),
    one_of("role", Role),
)

# Customer imports run in the background (see lana_core.domain.import_jobs), polled by id
# from any process; the rows each refused are kept for download (migration 0016).
import_jobs = Table(
    "import_jobs",
    metadata,
    _tenant_id(),
    Column("id", Uuid, nullable=False),
    Column("created_by", Uuid),
    Column("status", Text, nullable=False),
    Column("options", JsonDocument, nullable=False),
    Column("created", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("refused", Integer, nullable=False),
    Column("applied", Boolean, nullable=False),
    Column("error", Text),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("headers", JsonDocument, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    one_of("status", ImportStatus),
)

import_refusals = Table(
    "import_refusals",
    metadata,
    _tenant_id(),
    Column("job_id", Uuid, nullable=False),
    Column("line", Integer, nullable=False),
    # {"cells": [...], "problems": [[column, message], ...]}
    Column("row", JsonDocument, nullable=False),
    PrimaryKeyConstraint("tenant_id", "job_id", "line"),
    _parent("import_jobs", "job_id"),
)

# Webhook subscriptions (see lana_core.domain.webhooks). The secret is kept as it was made:
# requests are signed with it, so a digest would not do. Patterns and filters are JSON
# lists of text (filters in the language's canonical form, parsed again when read).
webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    _tenant_id(references_tenants=True),
    Column("id", Uuid, nullable=False),
    Column("url", Text, nullable=False),
    Column("event_types", JsonDocument, nullable=False),
    Column("filters", JsonDocument, nullable=False),
    Column("format", Text, nullable=False),
    Column("secret", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("paused_reason", Text),
    Column("created_by", Uuid),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    # The place of the operator's route this subscription carries out; NULL: the tenant's own.
    Column("operator_rank", Integer),
    PrimaryKeyConstraint("tenant_id", "id"),
    one_of("format", WebhookFormat),
    Index("ix_webhook_subscriptions_created", "tenant_id", "created_at", "id"),
)

# Open deliveries (pending or failed), spelt as each database reflects it back.
_OPEN_DELIVERY: dict[str, Any] = {
    "postgresql_where": text("(status = ANY (ARRAY['pending', 'failed']))"),
    "sqlite_where": text("status IN ('pending', 'failed')"),
}

# One row per event owed to a subscription; its id is derived from both, so enqueueing an
# event twice inserts nothing. ``seq`` is the enqueue order (see outbox.seq for SQLite).
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    _tenant_id(),
    Column("id", Uuid, nullable=False),
    Column("subscription_id", Uuid, nullable=False),
    Column("seq", BigInteger, Identity(), nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("aggregate_id", Uuid, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("traceparent", Text),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("pending_since", UtcDateTime, nullable=False),
    Column("last_attempt_at", UtcDateTime),
    Column("leased_until", UtcDateTime),
    PrimaryKeyConstraint("tenant_id", "id"),
    _parent("webhook_subscriptions", "subscription_id"),
    one_of("status", DeliveryStatus),
    Index("ix_webhook_deliveries_seq", "seq", unique=True),
    Index("ix_webhook_deliveries_subscription", "tenant_id", "subscription_id", "seq"),
    # What a claim reads: the open deliveries in order, and the earlier open ones of an aggregate.
    Index("ix_webhook_deliveries_open", "seq", **_OPEN_DELIVERY),
    Index(
        "ix_webhook_deliveries_open_aggregate",
        "tenant_id",
        "subscription_id",
        "aggregate_id",
        "seq",
        **_OPEN_DELIVERY,
    ),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    _tenant_id(),
    Column("id", Uuid, nullable=False),
    Column("subscription_id", Uuid, nullable=False),
    Column("delivery_id", Uuid, nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("number", Integer, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("status_code", Integer),
    Column("latency_ms", Integer, nullable=False),
    Column("response_excerpt", Text),
    Column("error", Text),
    PrimaryKeyConstraint("tenant_id", "id"),
    _parent("webhook_deliveries", "delivery_id"),
    Index("ix_webhook_attempts_log", "tenant_id", "subscription_id", "at", "id"),
)

customers = Table(
    "customers",
    metadata,
    _tenant_id(references_tenants=True),
    Column("id", Uuid, nullable=False),
    Column("name", SortableText, nullable=False),
    Column("email", Text),
    Column("phone", Text),
    Column("company", Text),
    Column("notes", Text),
    Column("tags", JsonTags, nullable=False),
    Column("attributes", JsonDocument, nullable=False),
    Column("value", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("owner_id", Uuid),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("activated_at", UtcDateTime),
    Column("archived_at", UtcDateTime),
    # Set on a tombstone: the customer this one was merged into (migration 0015).
    Column("merged_into", Uuid),
    # The customer's key in another system, unique in the tenant when set (migration 0016).
    Column("external_id", Text),
    # Case-folded name, email and company: substring search compares this.
    Column("search_text", Text, nullable=False),
    Column("search_vector", SearchVector, Computed(SearchDocument(), persisted=True)),
    PrimaryKeyConstraint("tenant_id", "id"),
    UniqueConstraint("tenant_id", "email"),
    one_of("status", CustomerStatus),
    one_of("value", CustomerValue),
    Index("ix_customers_created", "tenant_id", "created_at", "id"),
    # A unique index, not a constraint: SQLite adds one without copying the table (0016).
    Index("uq_customers_tenant_id_external_id", "tenant_id", "external_id", unique=True),
    Index("ix_customers_updated", "tenant_id", "updated_at", "id"),
    Index("ix_customers_name", "tenant_id", "name", "id"),
    Index("ix_customers_status", "tenant_id", "status", "created_at"),
    Index("ix_customers_value", "tenant_id", "value", "created_at"),
    Index("ix_customers_owner", "tenant_id", "owner_id", "created_at"),
    # The dashboard's counts and new-per-day, answered from the index alone (migration 0008).
    Index("ix_customers_live_counts", "tenant_id", "status", "value", "activated_at", **_only(_LIVE)),
    Index("ix_customers_live_created", "tenant_id", "created_at", **_only(_LIVE)),
    Index(
        "ix_customers_tags", "tags", postgresql_using="gin", postgresql_ops={"tags": "jsonb_path_ops"}
    ).ddl_if(dialect="postgresql"),
)

projects = Table(
    "projects",
    metadata,
    _tenant_id(),
    Column("id", Uuid, nullable=False),
    Column("customer_id", Uuid, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("status", Text, nullable=False),
    Column("priority", Text, nullable=False),
    Column("due_date", Date),
    Column("assignee_id", Uuid),
    Column("created_by", Uuid, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime),
    Column("archived_at", UtcDateTime),
    PrimaryKeyConstraint("tenant_id", "id"),
    _parent("customers", "customer_id"),
    one_of("status", ProjectStatus),
    one_of("priority", Priority),
    Index("ix_projects_created", "tenant_id", "created_at", "id"),
    Index("ix_projects_due", "tenant_id", "due_date", "id"),
    Index("ix_projects_customer", "tenant_id", "customer_id", "created_at"),
    Index("ix_projects_status", "tenant_id", "status", "due_date"),
    Index("ix_projects_priority", "tenant_id", "priority", "created_at"),
    Index("ix_projects_assignee", "tenant_id", "assignee_id", "created_at"),
)

tasks = Table(
    "tasks",
    metadata,
    _tenant_id(),
    Column("id", Uuid, nullable=False),
    Column("project_id", Uuid, nullable=False),
    Column("customer_id", Uuid, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("assignee_id", Uuid),
    Column("due_date", Date),
    Column("completed", Boolean, nullable=False),
    Column("completed_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    _parent("projects", "project_id"),
    Index("ix_tasks_created", "tenant_id", "created_at", "id"),
    Index("ix_tasks_project", "tenant_id", "project_id", "created_at"),
    Index("ix_tasks_customer", "tenant_id", "customer_id", "completed"),
    Index("ix_tasks_completed", "tenant_id", "completed", "created_at"),
    Index("ix_tasks_assignee", "tenant_id", "assignee_id", "created_at"),
)

interactions = Table(
    "interactions",
    metadata,
    _tenant_id(),
    Column("id", Uuid, nullable=False),
    Column("customer_id", Uuid, nullable=False),
    Column("type", Text, nullable=False),
    Column("subject", Text),
    Column("content", Text),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("author_id", Uuid, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # Interactions became editable (migration 0013): those recorded before are at version 1.
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("edited_at", UtcDateTime),
    # The API key an integration recorded it with (migration 0019); its name is read from
    # api_keys, whose rows are revoked, never deleted.
    Column("api_key_id", Uuid),
    PrimaryKeyConstraint("tenant_id", "id"),
    _parent("customers", "customer_id"),
    one_of("type", InteractionType),
    Index("ix_interactions_customer", "tenant_id", "customer_id", "occurred_at", "id"),
    # The tenant's interactions over a range of days (per-day counts; migration 0020).
    Index("ix_interactions_occurred", "tenant_id", "occurred_at"),
)

insights = Table(
    "insights",
    metadata,
    _tenant_id(),
    Column("id", Uuid, nullable=False),
    Column("customer_id", Uuid, nullable=False),
    Column("health_score", Integer, nullable=False),
    Column("churn_risk", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("recommendations", JsonDocument, nullable=False),
    Column("signals", JsonDocument, nullable=False),
    Column("model", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("fallback_reason", Text),
    Column("latency_ms", Float, nullable=False),
    Column("prompt_tokens", Integer, nullable=False),
    Column("completion_tokens", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    _parent("customers", "customer_id"),
    one_of("churn_risk", ChurnRisk),
    one_of("source", InsightSource),
    Index("ix_insights_customer", "tenant_id", "customer_id", "created_at", "id"),
    Index("ix_insights_source", "tenant_id", "source", "created_at"),
)

# The logs below keep no foreign keys: they outlive purged records and stay cheap to append.
audit_log = Table(
    "audit_log",
    metadata,
    _tenant_id(),
    Column("id", Uuid, nullable=False),
    Column("actor_id", Uuid),
    Column("aggregate_type", Text, nullable=False),
    Column("aggregate_id", Uuid, nullable=False),
    Column("customer_id", Uuid),
    Column("action", Text, nullable=False),
    Column("changes", JsonDocument, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "id"),
    Index("ix_audit_log_customer", "tenant_id", "customer_id", "occurred_at"),
)

outbox = Table(
    "outbox",
    metadata,
    _tenant_id(),
    Column("id", Uuid, nullable=False),
    # Insertion order, which claims follow; SQLite has no identity columns, so the adapter
    # numbers rows itself there (one writer at a time).
    Column("seq", BigInteger, Identity(), nullable=False),
    Column("type", Text, nullable=False),
    Column("aggregate_type", Text, nullable=False),
    Column("aggregate_id", Uuid, nullable=False),
    Column("aggregate_version", Integer, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("actor_id", Uuid),
    Column("payload", JsonDocument, nullable=False),
    Column("envelope_version", Integer, nullable=False),
    Column("trace_context", JsonDocument, nullable=False),
    Column("state", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("leased_until", UtcDateTime),
    Column("published_at", UtcDateTime),
    PrimaryKeyConstraint("tenant_id", "id"),
    CheckConstraint("state IN ('pending', 'published', 'dead')", name="state"),
    Index("ix_outbox_id", "id"),
    Index("ix_outbox_state", "state", "seq"),
    Index("ix_outbox_seq", "seq", unique=True),
)

# Partition-friendly: the key holds occurred_at, the column a monthly range splits on.
analytics_events = Table(
    "analytics_events",
    metadata,
    _tenant_id(),
    Column("id", Uuid, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("name", SortableText, nullable=False),
    Column("user_id", Text),
    Column("session_id", Text),
    Column("subject_type", Text),
    Column("subject_id", Uuid),
    Column("properties", JsonDocument, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "occurred_at", "id"),
    # Only events that name a user or a subject: lookups are by value, and an entry per
    # anonymous or subject-less event would cost every insert for nothing (migration 0009).
    Index("ix_analytics_events_user", "tenant_id", "user_id", "occurred_at", **_only(_HAS_USER)),
    Index("ix_analytics_events_subject", "tenant_id", "subject_id", "occurred_at", **_only(_HAS_SUBJECT)),
)
