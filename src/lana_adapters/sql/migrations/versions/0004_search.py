"""Customer search and tag indexes.

PostgreSQL: row-level security keeps the planner from using an index for any operator
that is not leakproof (LIKE, trigram similarity, full-text match, JSONB containment), so
searches run against ``customer_search``, a copy of each customer's search text and
vector kept by triggers, with trigram and full-text GIN indexes. The table has no
row-level security and no grants: it is read only through ``lana_customer_matches``, a
SECURITY DEFINER function that answers for the transaction's tenant alone.

SQLite: an FTS5 trigram index over ``customers.search_text`` (where SQLite was built
with FTS5), kept in step by triggers.

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

_POSTGRES_UP = (
    # Autogenerate never writes extensions; trigram operators need this one.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_customers_tags ON customers USING gin (tags jsonb_path_ops)",
    """CREATE TABLE customer_search (
        tenant_id uuid NOT NULL,
        customer_id uuid NOT NULL,
        search_text text NOT NULL,
        search_vector tsvector NOT NULL,
        CONSTRAINT pk_customer_search PRIMARY KEY (tenant_id, customer_id)
    )""",
    "CREATE INDEX ix_customer_search_trgm ON customer_search USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX ix_customer_search_vector ON customer_search USING gin (search_vector)",
    "REVOKE ALL ON customer_search FROM PUBLIC",
    """CREATE FUNCTION lana_sync_customer_search() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM customer_search WHERE tenant_id = OLD.tenant_id AND customer_id = OLD.id;
        ELSE
            INSERT INTO customer_search VALUES (NEW.tenant_id, NEW.id, NEW.search_text, NEW.search_vector)
            ON CONFLICT (tenant_id, customer_id) DO UPDATE
            SET search_text = EXCLUDED.search_text, search_vector = EXCLUDED.search_vector;
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER customers_search_insert AFTER INSERT ON customers "
    "FOR EACH ROW EXECUTE FUNCTION lana_sync_customer_search()",
    "CREATE TRIGGER customers_search_update AFTER UPDATE OF search_text ON customers "
    "FOR EACH ROW WHEN (OLD.search_text IS DISTINCT FROM NEW.search_text) "
    "EXECUTE FUNCTION lana_sync_customer_search()",
    "CREATE TRIGGER customers_search_delete AFTER DELETE ON customers "
    "FOR EACH ROW EXECUTE FUNCTION lana_sync_customer_search()",
    # needle is already lower-cased; closeness is 0 for exact matches, higher for nearer
    # fuzzy ones (ts_rank normalised into [0, 1) plus word similarity).
    r"""CREATE FUNCTION lana_customer_matches(needle text, fuzzy boolean)
    RETURNS TABLE (customer_id uuid, closeness double precision)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT ROWS 100 AS $$
    DECLARE
        tenant uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
        pattern text := '%' || replace(replace(replace(needle, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    BEGIN
        IF NOT fuzzy THEN
            RETURN QUERY SELECT s.customer_id, 0::double precision FROM customer_search s
                WHERE s.tenant_id = tenant AND s.search_text LIKE pattern;
            RETURN;
        END IF;
        RETURN QUERY SELECT s.customer_id,
                (ts_rank(s.search_vector, plainto_tsquery('simple', needle), 32)
                 + word_similarity(needle, s.search_text))::double precision
            FROM customer_search s
            WHERE s.tenant_id = tenant
              AND (s.search_text LIKE pattern
                   OR s.search_vector @@ plainto_tsquery('simple', needle)
                   OR (length(needle) >= 4 AND needle <% s.search_text));
    END $$""",
    "REVOKE ALL ON FUNCTION lana_customer_matches(text, boolean) FROM PUBLIC",
    "INSERT INTO customer_search SELECT tenant_id, id, search_text, search_vector FROM customers",
)
_POSTGRES_DOWN = (
    "DROP FUNCTION IF EXISTS lana_customer_matches(text, boolean)",
    "DROP TRIGGER IF EXISTS customers_search_delete ON customers",
    "DROP TRIGGER IF EXISTS customers_search_update ON customers",
    "DROP TRIGGER IF EXISTS customers_search_insert ON customers",
    "DROP FUNCTION IF EXISTS lana_sync_customer_search()",
    "DROP TABLE IF EXISTS customer_search",
    "DROP INDEX IF EXISTS ix_customers_tags",
)

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
        statements: tuple[str, ...] = _POSTGRES_UP
    else:
        statements = _SQLITE_UP if _sqlite_has_fts5() else ()
    for statement in statements:
        _run(statement)


def downgrade() -> None:
    postgres = op.get_context().dialect.name == "postgresql"
    for statement in _POSTGRES_DOWN if postgres else _SQLITE_DOWN:
        _run(statement)


def _run(statement: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.execute(statement)
        return
    # Straight to psycopg without parameters: the function bodies hold '%' and ':', which
    # parameter parsing would misread.
    driver = bind.connection.driver_connection
    assert driver is not None
    driver.execute(statement)


def _sqlite_has_fts5() -> bool:
    return bool(op.get_bind().execute(text("SELECT sqlite_compileoption_used('ENABLE_FTS5')")).scalar())
