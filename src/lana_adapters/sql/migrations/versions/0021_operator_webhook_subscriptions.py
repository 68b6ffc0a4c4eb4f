"""The operator's webhook routes (``LANA_WEBHOOK_ROUTES``) become subscriptions of each
tenant, marked with the route's place in the list; the tenant's own have none.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("webhook_subscriptions", sa.Column("operator_rank", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("webhook_subscriptions", "operator_rank")
