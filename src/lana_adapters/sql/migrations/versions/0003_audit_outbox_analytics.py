"""The append-only logs: audit trail, outbox and analytics events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lana_adapters.sql.coltypes import JsonDocument, SortableText, UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("aggregate_type", sa.Text(), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("changes", JsonDocument, nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_customer", "audit_log", ["tenant_id", "customer_id", "occurred_at"])
    _create_outbox()
    _create_analytics_events()


def _create_outbox() -> None:
    op.create_table(
        "outbox",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("aggregate_type", sa.Text(), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("payload", JsonDocument, nullable=False),
        sa.Column("envelope_version", sa.Integer(), nullable=False),
        sa.Column("trace_context", JsonDocument, nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("leased_until", UtcDateTime(), nullable=True),
        sa.Column("published_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("state IN ('pending', 'published', 'dead')", name="ck_outbox_state"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_id", "outbox", ["id"])
    op.create_index("ix_outbox_state", "outbox", ["state", "seq"])
    op.create_index("ix_outbox_seq", "outbox", ["seq"], unique=True)


def _create_analytics_events() -> None:
    op.create_table(
        "analytics_events",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("name", SortableText, nullable=False),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("session_id", sa.Text(), nullable=True),
        sa.Column("subject_type", sa.Text(), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("properties", JsonDocument, nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "occurred_at", "id", name="pk_analytics_events"),
    )
    op.create_index("ix_analytics_events_user", "analytics_events", ["tenant_id", "user_id", "occurred_at"])
    op.create_index(
        "ix_analytics_events_subject", "analytics_events", ["tenant_id", "subject_id", "occurred_at"]
    )


def downgrade() -> None:
    for table in ("analytics_events", "outbox", "audit_log"):
        op.drop_table(table)
