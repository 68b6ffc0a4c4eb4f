"""API keys: bearer secrets for integrations, stored as digests, revoked rather than deleted.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lana_adapters.sql.coltypes import UtcDateTime
from lana_adapters.sql.migrations.roles import roles

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("last_used_at", UtcDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_api_keys"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "created_by"],
            ["users.tenant_id", "users.id"],
            name="fk_api_keys_users",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("role IN ('admin', 'manager', 'agent', 'viewer')", name="ck_api_keys_role"),
    )
    if op.get_context().dialect.name != "postgresql":
        return
    app, _ = roles()
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON api_keys TO {app}")
    op.execute("ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE api_keys FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON api_keys "
        f"USING (tenant_id = {_CURRENT_TENANT}) WITH CHECK (tenant_id = {_CURRENT_TENANT})"
    )


def downgrade() -> None:
    op.drop_table("api_keys")
