"""Customers get an external id: their key in another system, unique in the tenant when set.

Customers stored before have none: the column starts empty, and empty values never clash
(a unique index lets any number of NULLs through on both databases).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customers", sa.Column("external_id", sa.Text()))
    op.create_index(
        "uq_customers_tenant_id_external_id", "customers", ["tenant_id", "external_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_customers_tenant_id_external_id", table_name="customers")
    # A plain DROP COLUMN (SQLite 3.35+), as 0015 does.
    op.drop_column("customers", "external_id")
