"""Webhook subscriptions of each tenant, the deliveries owed to them and their attempts.

Tenant tables under row-level security like the others; the relay role, which the
delivery worker runs as, reads subscriptions and claims and settles deliveries of every
tenant, as it does the outbox.

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from lana_adapters.sql.coltypes import JsonDocument, UtcDateTime
from lana_adapters.sql.migrations.roles import roles

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
# Open deliveries (pending or failed), spelt as each database reflects it back.
_OPEN: dict[str, Any] = {
    "postgresql_where": sa.text("(status = ANY (ARRAY['pending', 'failed']))"),
    "sqlite_where": sa.text("status IN ('pending', 'failed')"),
}
_TABLES = ("webhook_subscriptions", "webhook_deliveries", "webhook_attempts")


def upgrade() -> None:
    _subscriptions()
    _deliveries()
    _attempts()
    if op.get_context().dialect.name == "postgresql":
        _secure()


def _subscriptions() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("event_types", JsonDocument, nullable=False),
        sa.Column("filters", JsonDocument, nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_webhook_subscriptions"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_webhook_subscriptions_tenants"),
        sa.CheckConstraint("format IN ('lana', 'seed')", name="ck_webhook_subscriptions_format"),
    )
    op.create_index(
        "ix_webhook_subscriptions_created", "webhook_subscriptions", ["tenant_id", "created_at", "id"]
    )


def _deliveries() -> None:
    op.create_table(
        "webhook_deliveries",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("pending_since", UtcDateTime(), nullable=False),
        sa.Column("last_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("leased_until", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_webhook_deliveries"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "subscription_id"],
            ["webhook_subscriptions.tenant_id", "webhook_subscriptions.id"],
            name="fk_webhook_deliveries_webhook_subscriptions",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'failed', 'succeeded', 'dead')", name="ck_webhook_deliveries_status"
        ),
    )
    op.create_index("ix_webhook_deliveries_seq", "webhook_deliveries", ["seq"], unique=True)
    op.create_index(
        "ix_webhook_deliveries_subscription", "webhook_deliveries", ["tenant_id", "subscription_id", "seq"]
    )
    op.create_index(
        "ix_webhook_deliveries_open",
        "webhook_deliveries",
        ["seq"],
        **_OPEN,
    )
    op.create_index(
        "ix_webhook_deliveries_open_aggregate",
        "webhook_deliveries",
        ["tenant_id", "subscription_id", "aggregate_id", "seq"],
        **_OPEN,
    )


def _attempts() -> None:
    op.create_table(
        "webhook_attempts",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_webhook_attempts"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "delivery_id"],
            ["webhook_deliveries.tenant_id", "webhook_deliveries.id"],
            name="fk_webhook_attempts_webhook_deliveries",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_webhook_attempts_log", "webhook_attempts", ["tenant_id", "subscription_id", "at", "id"]
    )


def _secure() -> None:
    # A claim's plan (the earliest open delivery of each aggregate, by the partial indexes)
    # needs current statistics: the queue's rows turn over fast, so analyze it often.
    op.execute(
        "ALTER TABLE webhook_deliveries SET "
        "(autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 200)"
    )
    app, relay = roles()
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(_TABLES)} TO {app}")
    op.execute(f"GRANT SELECT ON webhook_subscriptions TO {relay}")
    op.execute(f"GRANT SELECT, UPDATE ON webhook_deliveries TO {relay}")
    op.execute(f"GRANT SELECT, INSERT ON webhook_attempts TO {relay}")
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (tenant_id = {_CURRENT_TENANT}) WITH CHECK (tenant_id = {_CURRENT_TENANT})"
        )
        op.execute(f"CREATE POLICY relay_sees_all ON {table} TO {relay} USING (true) WITH CHECK (true)")


def downgrade() -> None:
    for table in reversed(_TABLES):
        op.drop_table(table)
