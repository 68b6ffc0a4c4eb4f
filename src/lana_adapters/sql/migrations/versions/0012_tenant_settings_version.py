"""The version of each tenant's settings, so a change made against settings read earlier is
refused instead of overwriting another admin's (If-Match on PUT /tenant/settings).

Existing tenants start at version 1, as a new tenant does.

Revision ID: 0012
Revises: 0011
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "tenants", sa.Column("settings_version", sa.Integer(), nullable=False, server_default=sa.text("1"))
    )


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("settings_version")
