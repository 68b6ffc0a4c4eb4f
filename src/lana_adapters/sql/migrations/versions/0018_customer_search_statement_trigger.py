"""New customers reach ``customer_search`` once per statement, not once per row (PostgreSQL).

The row-level trigger of revision 0004 ran one PL/pgSQL call and one INSERT for every
customer; a batch of a thousand customers (an import's chunk) paid that a thousand times,
more than the customers' own row and index writes. A statement-level trigger reads every
row the statement inserted from its transition table and copies them in one INSERT. The
update and delete triggers stay row-level: they change one customer at a time.

SQLite keeps its FTS5 triggers: it has row-level triggers only.

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_UP = (
    """CREATE FUNCTION lana_sync_inserted_customer_search() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    BEGIN
        INSERT INTO customer_search
        SELECT i.tenant_id, i.id, i.search_text, i.search_vector FROM inserted_customers i
        ON CONFLICT (tenant_id, customer_id) DO UPDATE
        SET search_text = EXCLUDED.search_text, search_vector = EXCLUDED.search_vector;
        RETURN NULL;
    END $$""",
    "DROP TRIGGER customers_search_insert ON customers",
    "CREATE TRIGGER customers_search_insert AFTER INSERT ON customers "
    "REFERENCING NEW TABLE AS inserted_customers "
    "FOR EACH STATEMENT EXECUTE FUNCTION lana_sync_inserted_customer_search()",
)
_DOWN = (
    "DROP TRIGGER customers_search_insert ON customers",
    "CREATE TRIGGER customers_search_insert AFTER INSERT ON customers "
    "FOR EACH ROW EXECUTE FUNCTION lana_sync_customer_search()",
    "DROP FUNCTION lana_sync_inserted_customer_search()",
)


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for statement in _UP:
            _run(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        for statement in _DOWN:
            _run(statement)


def _run(statement: str) -> None:
    # Straight to psycopg without parameters, as revision 0004 does for its function bodies.
    driver = op.get_bind().connection.driver_connection
    assert driver is not None
    driver.execute(statement)
