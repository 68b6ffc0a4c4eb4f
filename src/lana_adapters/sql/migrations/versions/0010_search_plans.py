"""Text search plans that stay fast whatever the text: near matches found through their
indexes, and a capped probe that tells a rare text from a common one.

``lana_customer_matches(needle, true)`` asked for rows matching any of three conditions
in one WHERE; the planner could not use the three indexes for an OR and scanned every
row, computing trigram word similarity for each (0.45 to 0.75 s over 100,000 customers for
some needles). It now unions three index scans. ``plan_cache_mode`` keeps PL/pgSQL from
reusing a generic plan that knows nothing of the needle, and with sequential scans off
the planner cannot pick one for a trigram condition whose per-row cost it underrates.

``lana_customer_matches_first(needle, max_rows)`` returns at most ``max_rows`` customers
containing the text, as cheaply as the planner can find them (the whole match set of a
common word costs tens of milliseconds to collect). The adapter uses it to choose: join
the few matches, or walk the list's own index and test each row.

The downgrade drops the new function and keeps the faster body of the old one: its
signature and its answers are those of revision 0004.

Revision ID: 0010
Revises: 0009
Create Date: 2026-01-01
"""

from __future__ import annotations

from alembic import op

from lana_adapters.sql.migrations.roles import roles

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The needle is already lower-cased; LIKE's wildcards and escape character in it match themselves.
_MATCHES = r"""
CREATE OR REPLACE FUNCTION lana_customer_matches(needle text, fuzzy boolean)
RETURNS TABLE (customer_id uuid, closeness double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT
SET plan_cache_mode = force_custom_plan SET enable_seqscan = off
SET max_parallel_workers_per_gather = 0 ROWS 100 AS $$
DECLARE
    tenant uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
    pattern text := '%' || replace(replace(replace(needle, '\', '\\'), '%', '\%'), '_', '\_') || '%';
    words tsquery := plainto_tsquery('simple', needle);
BEGIN
    IF NOT fuzzy THEN
        RETURN QUERY SELECT s.customer_id, 0::double precision FROM customer_search s
            WHERE s.tenant_id = tenant AND s.search_text LIKE pattern;
        RETURN;
    END IF;
    -- A row may meet several conditions: it is scored once per condition, alike each time.
    RETURN QUERY SELECT m.customer_id,
            max(ts_rank(m.search_vector, words, 32)
                + word_similarity(needle, m.search_text))::double precision
        FROM (
            SELECT s.customer_id, s.search_text, s.search_vector FROM customer_search s
             WHERE s.tenant_id = tenant AND s.search_text LIKE pattern
            UNION ALL
            SELECT s.customer_id, s.search_text, s.search_vector FROM customer_search s
             WHERE s.tenant_id = tenant AND s.search_vector @@ words
            UNION ALL
            SELECT s.customer_id, s.search_text, s.search_vector FROM customer_search s
             WHERE s.tenant_id = tenant AND length(needle) >= 4 AND needle <% s.search_text
        ) AS m
        GROUP BY m.customer_id;
END $$
"""

_FIRST = r"""
CREATE FUNCTION lana_customer_matches_first(needle text, max_rows integer)
RETURNS TABLE (customer_id uuid)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT
SET plan_cache_mode = force_custom_plan AS $$
DECLARE
    tenant uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
    pattern text := '%' || replace(replace(replace(needle, '\', '\\'), '%', '\%'), '_', '\_') || '%';
BEGIN
    RETURN QUERY SELECT s.customer_id FROM customer_search s
        WHERE s.tenant_id = tenant AND s.search_text LIKE pattern
        LIMIT max_rows;
END $$
"""
_FIRST_SIGNATURE = "lana_customer_matches_first(text, integer)"


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    app, _ = roles()
    op.execute(_MATCHES)
    op.execute(_FIRST)
    op.execute(f"REVOKE ALL ON FUNCTION {_FIRST_SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {_FIRST_SIGNATURE} TO {app}")


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {_FIRST_SIGNATURE}")
