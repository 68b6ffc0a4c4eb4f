"""Projects, tasks, interactions and insights, each tied to its tenant's customer.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lana_adapters.sql.coltypes import JsonDocument, UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _parent(table: str, child: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{table}.tenant_id", f"{table}.id"],
        name=f"fk_{child}_{table}",
        ondelete="CASCADE",
    )


def _indexes(table: str, indexes: dict[str, list[str]]) -> None:
    for name, columns in indexes.items():
        op.create_index(f"ix_{table}_{name}", table, columns)


def upgrade() -> None:
    _create_projects()
    _create_tasks()
    _create_interactions()
    _create_insights()


def _create_projects() -> None:
    op.create_table(
        "projects",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("archived_at", UtcDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('todo', 'in_progress', 'review', 'done')", name="ck_projects_status"),
        sa.CheckConstraint("priority IN ('low', 'medium', 'high', 'urgent')", name="ck_projects_priority"),
        _parent("customers", "projects", "customer_id"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_projects"),
    )
    _indexes(
        "projects",
        {
            "created": ["tenant_id", "created_at", "id"],
            "due": ["tenant_id", "due_date", "id"],
            "customer": ["tenant_id", "customer_id", "created_at"],
            "status": ["tenant_id", "status", "due_date"],
            "priority": ["tenant_id", "priority", "created_at"],
            "assignee": ["tenant_id", "assignee_id", "created_at"],
        },
    )


def _create_tasks() -> None:
    op.create_table(
        "tasks",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        _parent("projects", "tasks", "project_id"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_tasks"),
    )
    _indexes(
        "tasks",
        {
            "created": ["tenant_id", "created_at", "id"],
            "project": ["tenant_id", "project_id", "created_at"],
            "customer": ["tenant_id", "customer_id", "completed"],
            "completed": ["tenant_id", "completed", "created_at"],
            "assignee": ["tenant_id", "assignee_id", "created_at"],
        },
    )


def _create_interactions() -> None:
    op.create_table(
        "interactions",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("type IN ('email', 'call', 'meeting', 'note')", name="ck_interactions_type"),
        _parent("customers", "interactions", "customer_id"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_interactions"),
    )
    _indexes("interactions", {"customer": ["tenant_id", "customer_id", "occurred_at", "id"]})


def _create_insights() -> None:
    op.create_table(
        "insights",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("health_score", sa.Integer(), nullable=False),
        sa.Column("churn_risk", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recommendations", JsonDocument, nullable=False),
        sa.Column("signals", JsonDocument, nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("fallback_reason", sa.Text(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("churn_risk IN ('low', 'medium', 'high')", name="ck_insights_churn_risk"),
        sa.CheckConstraint("source IN ('llm', 'rules')", name="ck_insights_source"),
        _parent("customers", "insights", "customer_id"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_insights"),
    )
    _indexes(
        "insights",
        {
            "customer": ["tenant_id", "customer_id", "created_at", "id"],
            "source": ["tenant_id", "source", "created_at"],
        },
    )


def downgrade() -> None:
    for table in ("insights", "interactions", "tasks", "projects"):
        op.drop_table(table)
