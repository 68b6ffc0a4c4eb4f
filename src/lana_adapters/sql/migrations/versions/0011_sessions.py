"""Sign-in sessions in the database, the record every access token is checked against
(they lived in Redis or in one process before): revoking one, or deactivating its user,
ends its tokens on the next request whether Redis answers or not.

Sessions that lived elsewhere are not carried over: their holders sign in again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lana_adapters.sql.coltypes import UtcDateTime
from lana_adapters.sql.migrations.roles import roles

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("refresh_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_sessions"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["users.tenant_id", "users.id"],
            name="fk_sessions_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_sessions_user", "sessions", ["tenant_id", "user_id"])
    if op.get_context().dialect.name != "postgresql":
        return
    app, _ = roles()
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO {app}")
    op.execute("ALTER TABLE sessions ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE sessions FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON sessions "
        f"USING (tenant_id = {_CURRENT_TENANT}) WITH CHECK (tenant_id = {_CURRENT_TENANT})"
    )


def downgrade() -> None:
    op.drop_index("ix_sessions_user", table_name="sessions")
    op.drop_table("sessions")
