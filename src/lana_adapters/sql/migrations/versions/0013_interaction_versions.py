"""Interactions can be corrected and deleted: each carries a version (for If-Match) and the
time of its last correction.

Interactions recorded before start at version 1, never corrected.

Revision ID: 0013
Revises: 0012
Create Date: 2026-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lana_adapters.sql.coltypes import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "interactions", sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
    )
    op.add_column("interactions", sa.Column("edited_at", UtcDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("edited_at")
        batch.drop_column("version")
