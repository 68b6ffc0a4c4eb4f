"""A webhook delivery keeps the W3C ``traceparent`` of the change that made its event, so the
call continues that trace. Deliveries owed before have none: their calls start traces of
their own.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("webhook_deliveries", sa.Column("traceparent", sa.Text()))


def downgrade() -> None:
    op.drop_column("webhook_deliveries", "traceparent")
