"""A merged customer becomes a tombstone pointing at the customer it was merged into.

Customers stored before were never merged: the column starts empty.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("merged_into", sa.Uuid()))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would have to re-create
    # its generated search column, which SQLite's copy cannot.
    op.drop_column("customers", "merged_into")
