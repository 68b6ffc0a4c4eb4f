"""Partial indexes over live customers for the dashboard: its counts by status and value
and its new customers per day read the index alone (an index-only scan) instead of every
customer row of the tenant.

Revision ID: 0008
Revises: 0007
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_LIVE = sa.text("archived_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_customers_live_counts",
        "customers",
        ["tenant_id", "status", "value", "activated_at"],
        postgresql_where=_LIVE,
        sqlite_where=_LIVE,
    )
    op.create_index(
        "ix_customers_live_created",
        "customers",
        ["tenant_id", "created_at"],
        postgresql_where=_LIVE,
        sqlite_where=_LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_customers_live_created", table_name="customers")
    op.drop_index("ix_customers_live_counts", table_name="customers")
