"""The consumers' inbox: one row per (consumer, event) applied, so a redelivery is a no-op.

Revision ID: 0006_inbox
Revises: 0005
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lana_adapters.sql.coltypes import UtcDateTime

revision = "0006_inbox"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("processed_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox"),
    )
    op.create_index("ix_inbox_aggregate", "inbox", ["consumer", "aggregate_id", "aggregate_version"])


def downgrade() -> None:
    op.drop_index("ix_inbox_aggregate", table_name="inbox")
    op.drop_table("inbox")
