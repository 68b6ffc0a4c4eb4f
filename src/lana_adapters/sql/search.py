"""Customer text search: exact case-insensitive substring matching on every database, plus
ranked, typo-tolerant matching on PostgreSQL when a list is sorted by relevance.

``search_text`` holds the lower-cased name, email and company joined by a separator no
folded value contains, so "contains the text" is one comparison with the lower-cased
needle, exactly as the core defines it. On PostgreSQL the ``lana_customer_matches*``
functions answer it from trigram and full-text GIN indexes on ``customer_search`` (row-level
security would keep the planner from using them on ``customers``: their operators are not
leakproof), adding, when fuzzy, words of the weighted ``search_vector`` and trigram word
similarity. A capped probe first tells a rare text from a common one: the few customers
containing a rare text are joined by id, while a common one is tested row by row along
the list's own index, which meets a page's worth of matches within a few thousand rows.
SQLite narrows candidates through an FTS5 trigram index when the needle is long enough.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from attrs import frozen
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Float,
    FromClause,
    Integer,
    Uuid,
    and_,
    any_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    select,
    text,
    union,
)
from sqlalchemy.sql.elements import BindParameter

from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.tables import customers
from lana_adapters.sql.tx import Features, Tx

SEPARATOR = "\x1f"
_TRIGRAM = 3
# How many customers a relevance list ranks at most: its pages run through these alone.
# Also the probe's cap: a text found in fewer customers is joined by id, one found in more
# is tested along the list's index (a page meets its matches within a few thousand rows).
RANKED_CANDIDATES = 1_000
# Near matches rescue a misspelt or half-remembered text; one found in this many customers
# already was typed as meant, and scoring near matches costs a scan of every shared trigram.
NEAR_MATCHES_BELOW = 100
_RANK_SCALE = 1_000_000
_FIRST = func.lana_customer_matches_first(bindparam("needle"), bindparam("max_rows")).table_valued(
    column("customer_id", Uuid)
)
_FIRST_MATCHES = Prepared(select(_FIRST.c.customer_id))
_FTS_CANDIDATES = text("SELECT rowid FROM customers_fts WHERE customers_fts MATCH :phrase").columns(
    column("rowid", Integer)
)


def fold(value: str) -> str:
    """The case-folded form text is compared in (the core's ``str.lower``)."""
    return value.lower().replace(SEPARATOR, " ")


def search_text(name: str, email: str | None, company: str | None) -> str:
    return SEPARATOR.join(fold(value) for value in (name, email, company) if value)


@frozen
class TextSearch:
    """How a customer list narrows to a text: a condition on ``customers``, or on PostgreSQL
    the matches to join (``customer_id``); the relevance score; and whether the text is
    common, so the list should walk an index (see :meth:`Tx.rows_in_index_order`)."""

    condition: ColumnElement[bool] | None
    matches: FromClause | None
    rank: ColumnElement[int]
    common: bool = False


async def text_search(tx: Tx, needle: str, *, fuzzy: bool) -> TextSearch:
    """Customers whose name, email or company contains ``needle`` (case-insensitively);
    ``fuzzy`` adds, on PostgreSQL, near matches (shared words, small typos) when few
    customers contain the text, and ranks a capped set (see :func:`_ranked_candidates`)."""
    folded = fold(needle)
    tier = _tier(tx.features, folded)
    if not tx.features.postgres:
        return TextSearch(_sqlite_condition(tx.features, folded), None, tier)
    probe = {"needle": folded, "max_rows": RANKED_CANDIDATES}
    found = [row.customer_id for row in await tx.rows(_FIRST_MATCHES, probe)]
    few = found if len(found) < RANKED_CANDIDATES else None
    if not fuzzy:
        condition = _contains(folded) if few is None else customers.c.id == any_(_matched(few))
        return TextSearch(condition, None, tier, common=few is None)
    # closeness is below 2 and a tier counts 3: a better tier always ranks first.
    score = cast(tier, Float) * 3 + _closeness(folded)
    candidates = _ranked_candidates(tx, folded, few)
    return TextSearch(None, candidates, cast(func.floor(score * _RANK_SCALE), Integer), common=few is None)


def _contains(folded: str) -> ColumnElement[bool]:
    return customers.c.search_text.contains(folded, autoescape=True)


def _matched(ids: list[UUID]) -> BindParameter[Any]:
    """The ids the probe found, bound as one array parameter."""
    return bindparam("matched", ids, type_=ARRAY(Uuid))


def _ranked_candidates(tx: Tx, folded: str, few: list[UUID] | None) -> FromClause:
    """The customers a relevance list ranks: the newest ``RANKED_CANDIDATES`` containing the
    text, and, only when fewer than ``NEAR_MATCHES_BELOW`` contain it, the
    ``RANKED_CANDIDATES`` nearest other matches.

    ``few`` holds every customer containing the text when there are fewer than
    ``RANKED_CANDIDATES``; otherwise (None) the newest are met walking the primary key
    backwards (ids grow with time). Scoring a match costs a trigram and a text-rank
    comparison; a word shared by thousands of customers would cost seconds a page. Exact
    matches always rank above near ones, which are looked for (the expensive call) only
    when the text finds few customers. The set depends on the data alone, so cursors page
    through it exactly.
    """
    c = customers.c
    if few is None:
        newest = select(c.id.label("customer_id")).where(c.tenant_id == tx.tenant_id, _contains(folded))
        return newest.order_by(c.id.desc()).limit(RANKED_CANDIDATES).subquery("matches")
    exact = select(func.unnest(_matched(few)).label("customer_id"))
    if len(few) >= NEAR_MATCHES_BELOW:
        return exact.subquery("matches")
    near_found = func.lana_customer_matches(folded, True).table_valued(
        column("customer_id", Uuid), column("closeness", Float)
    )
    near = (
        select(near_found.c.customer_id)
        .order_by(near_found.c.closeness.desc(), near_found.c.customer_id.desc())
        .limit(RANKED_CANDIDATES)
    )
    return union(exact, near).subquery("matches")


def _closeness(folded: str) -> ColumnElement[float]:
    """How near a customer's text is to the needle, as ``lana_customer_matches`` scores it:
    the weighted text rank normalised into [0, 1) plus trigram word similarity."""
    query = func.plainto_tsquery(literal_column("'simple'"), folded)
    rank = func.ts_rank(customers.c.search_vector, query, 32)
    return cast(rank + func.word_similarity(folded, customers.c.search_text), Float)


def _sqlite_condition(features: Features, folded: str) -> ColumnElement[bool]:
    exact = func.instr(customers.c.search_text, folded) > 0
    # An FTS5 phrase ends at a NUL ("unterminated string"): such a text is found by instr alone.
    if features.fts and len(folded) >= _TRIGRAM and "\x00" not in folded:
        phrase = '"' + folded.replace('"', '""') + '"'
        candidates = _FTS_CANDIDATES.bindparams(phrase=phrase)
        return and_(literal_column("customers.rowid").in_(candidates), exact)
    return exact


def _tier(features: Features, folded: str) -> ColumnElement[int]:
    haystack = customers.c.search_text
    name = _name_part(features, haystack)
    found = (
        haystack.contains(folded, autoescape=True) if features.postgres else func.instr(haystack, folded) > 0
    )
    return case((name == folded, 3), (func.substr(name, 1, len(folded)) == folded, 2), (found, 1), else_=0)


def _name_part(features: Features, haystack: ColumnElement[str]) -> ColumnElement[str]:
    """The folded name: ``search_text`` up to its first separator."""
    if features.postgres:
        return func.split_part(haystack, SEPARATOR, 1)
    cut = func.instr(haystack, SEPARATOR)
    return case((cut > 0, func.substr(haystack, 1, cut - 1)), else_=haystack)
