"""An index over each aggregate's pending outbox rows, so a claim can cheaply check that no
earlier event of the same aggregate is still pending elsewhere.

Revision ID: 0007
Revises: 0006_inbox
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006_inbox"
branch_labels = None
depends_on = None

_PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_pending_aggregate",
        "outbox",
        ["aggregate_id", "seq"],
        postgresql_where=_PENDING,
        sqlite_where=_PENDING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_pending_aggregate", table_name="outbox")
