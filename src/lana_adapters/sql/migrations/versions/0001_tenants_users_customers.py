"""Tenants, their users and customers.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lana_adapters.sql.coltypes import (
    JsonDocument,
    JsonTags,
    SearchDocument,
    SearchVector,
    SortableText,
    UtcDateTime,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("settings", JsonDocument, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        sa.UniqueConstraint("slug", name="uq_tenants_slug"),
    )
    op.create_table(
        "users",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", SortableText, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('admin', 'manager', 'agent', 'viewer')", name="ck_users_role"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_users_tenants"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_users"),
        sa.UniqueConstraint("tenant_id", "email", name="uq_users_tenant_id_email"),
    )
    _create_customers()


def _create_customers() -> None:
    op.create_table(
        "customers",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", SortableText, nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("tags", JsonTags, nullable=False),
        sa.Column("attributes", JsonDocument, nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("activated_at", UtcDateTime(), nullable=True),
        sa.Column("archived_at", UtcDateTime(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("search_vector", SearchVector(), sa.Computed(SearchDocument(), persisted=True)),
        sa.CheckConstraint("status IN ('prospect', 'active', 'inactive')", name="ck_customers_status"),
        sa.CheckConstraint("value IN ('low', 'medium', 'high')", name="ck_customers_value"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_customers_tenants"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_customers"),
        sa.UniqueConstraint("tenant_id", "email", name="uq_customers_tenant_id_email"),
    )
    for name, columns in (
        ("created", ["tenant_id", "created_at", "id"]),
        ("updated", ["tenant_id", "updated_at", "id"]),
        ("name", ["tenant_id", "name", "id"]),
        ("status", ["tenant_id", "status", "created_at"]),
        ("value", ["tenant_id", "value", "created_at"]),
        ("owner", ["tenant_id", "owner_id", "created_at"]),
    ):
        op.create_index(f"ix_customers_{name}", "customers", columns)


def downgrade() -> None:
    op.drop_table("customers")
    op.drop_table("users")
    op.drop_table("tenants")
