"""Customer search and tag indexes: trigram and full-text GIN indexes on PostgreSQL, an FTS5
trigram index on SQLite (where SQLite was built with FTS5).

Revision ID: 0004
Revises: 0003
Create Date: 2026-01-01
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# External-content FTS5 over customers.search_text, kept in step by triggers. The index
# follows the table's rowid: after a VACUUM, run INSERT INTO customers_fts(customers_fts)
# VALUES ('rebuild').
_FTS_DELETE = (
    "INSERT INTO customers_fts(customers_fts, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text)"
)
_FTS_INSERT = "INSERT INTO customers_fts(rowid, search_text) VALUES (new.rowid, new.search_text)"
_SQLITE_UP = (
    "CREATE VIRTUAL TABLE customers_fts USING fts5(search_text, content='customers', "
    "content_rowid='rowid', tokenize='trigram case_sensitive 1')",
    f"CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN {_FTS_INSERT}; END",
    f"CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN {_FTS_DELETE}; END",
    "CREATE TRIGGER customers_fts_update AFTER UPDATE OF search_text ON customers "
    f"WHEN old.search_text IS NOT new.search_text BEGIN {_FTS_DELETE}; {_FTS_INSERT}; END",
    "INSERT INTO customers_fts(customers_fts) VALUES ('rebuild')",
)
_SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS customers_fts_update",
    "DROP TRIGGER IF EXISTS customers_fts_delete",
    "DROP TRIGGER IF EXISTS customers_fts_insert",
    "DROP TABLE IF EXISTS customers_fts",
)


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        # Autogenerate never writes extensions; trigram operators need this one.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_customers_tags",
            "customers",
            ["tags"],
            postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        )
        op.create_index(
            "ix_customers_search_trgm",
            "customers",
            ["search_text"],
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
        op.create_index("ix_customers_search_vector", "customers", ["search_vector"], postgresql_using="gin")
    elif _sqlite_has_fts5():
        for statement in _SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for index in ("ix_customers_search_vector", "ix_customers_search_trgm", "ix_customers_tags"):
            op.drop_index(index, table_name="customers")
    else:
        for statement in _SQLITE_DOWN:
            op.execute(statement)


def _sqlite_has_fts5() -> bool:
    return bool(op.get_bind().execute(text("SELECT sqlite_compileoption_used('ENABLE_FTS5')")).scalar())
