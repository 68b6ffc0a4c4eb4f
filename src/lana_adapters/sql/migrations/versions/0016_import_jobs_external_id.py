"""Customers get an external id (their key in another system, unique in the tenant when
set), and customer imports become jobs, with the rows each refused.

Customers stored before have none: the column starts empty, and empty values never clash
(a unique index lets any number of NULLs through on both databases).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lana_adapters.sql.coltypes import UtcDateTime
from lana_adapters.sql.migrations.roles import roles

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"
_STATUSES = "'queued', 'running', 'completed', 'failed'"


def upgrade() -> None:
    op.add_column("customers", sa.Column("external_id", sa.Text()))
    op.create_index(
        "uq_customers_tenant_id_external_id", "customers", ["tenant_id", "external_id"], unique=True
    )
    op.create_table(
        "import_jobs",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_import_jobs"),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name="ck_import_jobs_status"),
    )
    op.create_table(
        "import_refusals",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("row", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "job_id", "line", name="pk_import_refusals"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "job_id"],
            ["import_jobs.tenant_id", "import_jobs.id"],
            name="fk_import_refusals_import_jobs",
            ondelete="CASCADE",
        ),
    )
    if op.get_context().dialect.name != "postgresql":
        return
    app, _ = roles()
    for table in ("import_jobs", "import_refusals"):
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {app}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (tenant_id = {_CURRENT_TENANT}) WITH CHECK (tenant_id = {_CURRENT_TENANT})"
        )


def downgrade() -> None:
    op.drop_table("import_refusals")
    op.drop_table("import_jobs")
    op.drop_index("uq_customers_tenant_id_external_id", table_name="customers")
    # A plain DROP COLUMN (SQLite 3.35+), as 0015 does.
    op.drop_column("customers", "external_id")
