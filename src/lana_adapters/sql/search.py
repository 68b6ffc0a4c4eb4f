"""Customer text search: exact case-insensitive substring matching on every database, plus
ranked, typo-tolerant matching on PostgreSQL when a list is sorted by relevance.

``search_text`` holds the lower-cased name, email and company joined by a separator no
folded value contains, so "contains the text" is one comparison with the lower-cased
needle, exactly as the core defines it. On PostgreSQL the ``lana_customer_matches``
function answers it from trigram and full-text GIN indexes on ``customer_search`` (row-level
security would keep the planner from using them on ``customers``: their operators are not
leakproof), adding, when fuzzy, words of the weighted ``search_vector`` and trigram word
similarity. SQLite narrows candidates through an FTS5 trigram index when the needle is
long enough.
"""

from __future__ import annotations

from attrs import frozen
from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    Integer,
    Uuid,
    and_,
    case,
    cast,
    column,
    func,
    literal_column,
    select,
    text,
    union,
)
from sqlalchemy.sql.selectable import TableValuedAlias

from lana_adapters.sql.tables import customers
from lana_adapters.sql.tx import Features

SEPARATOR = "\x1f"
# A sort value a query may carry to page by relevance, most relevant first.
RELEVANCE = "relevance"
_TRIGRAM = 3
# How many customers a relevance list ranks at most: its pages run through these alone.
RANKED_CANDIDATES = 1_000
# Near matches rescue a misspelt or half-remembered text; one found in this many customers
# already was typed as meant, and scoring near matches costs a scan of every shared trigram.
NEAR_MATCHES_BELOW = 100
_RANK_SCALE = 1_000_000
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
    the matches to join (``customer_id``); and the relevance score."""

    condition: ColumnElement[bool] | None
    matches: FromClause | None
    rank: ColumnElement[int]


def text_search(features: Features, needle: str, *, fuzzy: bool) -> TextSearch:
    """Customers whose name, email or company contains ``needle`` (case-insensitively);
    ``fuzzy`` adds, on PostgreSQL, near matches (shared words, small typos) when few
    customers contain the text, and ranks a capped set (see :func:`_ranked_candidates`)."""
    folded = fold(needle)
    tier = _tier(features, folded)
    if not features.postgres:
        return TextSearch(_sqlite_condition(features, folded), None, tier)
    if not fuzzy:
        return TextSearch(None, _matches(folded, fuzzy=False).alias("matches"), tier)
    # closeness is below 2 and a tier counts 3: a better tier always ranks first.
    score = cast(tier, Float) * 3 + _closeness(folded)
    return TextSearch(None, _ranked_candidates(folded), cast(func.floor(score * _RANK_SCALE), Integer))


def _matches(folded: str, *, fuzzy: bool) -> TableValuedAlias:
    return func.lana_customer_matches(folded, fuzzy).table_valued(
        column("customer_id", Uuid), column("closeness", Float)
    )


def _ranked_candidates(folded: str) -> FromClause:
    """The customers a relevance list ranks: the newest ``RANKED_CANDIDATES`` containing the
    text, and, only when fewer than ``NEAR_MATCHES_BELOW`` contain it, the
    ``RANKED_CANDIDATES`` nearest other matches.

    Scoring a match costs a trigram and a text-rank comparison; a word shared by thousands
    of customers would cost seconds a page. Exact matches always rank above near ones,
    which are looked for (the expensive call) only when the text finds few customers.
    The set depends on the data alone, so cursors page through it exactly.
    """
    exact_found = _matches(folded, fuzzy=False)
    exact = (
        select(exact_found.c.customer_id)
        .order_by(exact_found.c.customer_id.desc())
        .limit(RANKED_CANDIDATES)
        .cte("exact_candidates")
    )
    room = select(func.count()).select_from(exact).scalar_subquery() < NEAR_MATCHES_BELOW
    near_found = _matches(folded, fuzzy=True)
    near = (
        select(near_found.c.customer_id)
        .where(room)
        .order_by(near_found.c.closeness.desc(), near_found.c.customer_id.desc())
        .limit(RANKED_CANDIDATES)
    )
    return union(select(exact.c.customer_id), near).subquery("matches")


def _closeness(folded: str) -> ColumnElement[float]:
    """How near a customer's text is to the needle, as ``lana_customer_matches`` scores it:
    the weighted text rank normalised into [0, 1) plus trigram word similarity."""
    query = func.plainto_tsquery(literal_column("'simple'"), folded)
    rank = func.ts_rank(customers.c.search_vector, query, 32)
    return cast(rank + func.word_similarity(folded, customers.c.search_text), Float)


def _sqlite_condition(features: Features, folded: str) -> ColumnElement[bool]:
    exact = func.instr(customers.c.search_text, folded) > 0
    if features.fts and len(folded) >= _TRIGRAM:
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
