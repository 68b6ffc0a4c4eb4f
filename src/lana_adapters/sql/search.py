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
    text,
)

from lana_adapters.sql.tables import customers
from lana_adapters.sql.tx import Features

SEPARATOR = "\x1f"
# A sort value a query may carry to page by relevance, most relevant first.
RELEVANCE = "relevance"
_TRIGRAM = 3
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
    the matches to join (``customer_id``, ``closeness``); and the relevance score."""

    condition: ColumnElement[bool] | None
    matches: FromClause | None
    rank: ColumnElement[int]


def text_search(features: Features, needle: str, *, fuzzy: bool) -> TextSearch:
    """Customers whose name, email or company contains ``needle`` (case-insensitively);
    ``fuzzy`` adds, on PostgreSQL, near matches (shared words, small typos)."""
    folded = fold(needle)
    tier = _tier(features, folded)
    if features.postgres:
        found = func.lana_customer_matches(folded, fuzzy).table_valued(
            column("customer_id", Uuid), column("closeness", Float)
        )
        matches = found.alias("matches")
        # closeness is below 2 and a tier counts 3: a better tier always ranks first.
        score = cast(tier, Float) * 3 + matches.c.closeness
        return TextSearch(None, matches, cast(func.floor(score * _RANK_SCALE), Integer))
    return TextSearch(_sqlite_condition(features, folded), None, tier)


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
