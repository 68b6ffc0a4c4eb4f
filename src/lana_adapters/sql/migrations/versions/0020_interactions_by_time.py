"""Interactions indexed by tenant and time: the dashboard's interactions per day read the
tenant's rows in the asked range instead of every interaction of the tenant.

``ix_interactions_customer`` leads with the customer, so it serves one customer's timeline
but not a tenant-wide range of days. Building the index blocks writes to ``interactions``
while it runs (seconds per million rows).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_interactions_occurred", "interactions", ["tenant_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_interactions_occurred", table_name="interactions")
