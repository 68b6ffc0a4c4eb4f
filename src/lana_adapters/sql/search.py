"""Customer text search: exact case-insensitive substring matching on every database, plus
ranked, typo-tolerant matching on PostgreSQL when a list is sorted by relevance.

``search_text`` holds the lower-cased name, email and company joined by a separator no
folded value contains, so "contains the text" is one comparison with the lower-cased
needle, exactly as the core defines it. PostgreSQL answers it through a trigram GIN index
and adds words of the weighted ``search_vector`` and trigram word similarity; SQLite
narrows candidates through an FTS5 trigram index when the needle is long enough.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    text,
)

from lana_adapters.sql.tables import customers
from lana_adapters.sql.tx import Features

SEPARATOR = "\x1f"
# A sort value a query may carry to page by relevance, most relevant first.
RELEVANCE = "relevance"
# Below this many characters a needle is matched as typed: typo tolerance would match too much.
TYPO_MIN_LENGTH = 4
_TRIGRAM = 3
_RANK_SCALE = 1_000_000
_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
_FTS_CANDIDATES = text("SELECT rowid FROM customers_fts WHERE customers_fts MATCH :phrase").columns(
    column("rowid", Integer)
)


def fold(value: str) -> str:
    """The case-folded form text is compared in (the core's ``str.lower``)."""
    return value.lower().replace(SEPARATOR, " ")


def search_text(name: str, email: str | None, company: str | None) -> str:
    return SEPARATOR.join(fold(value) for value in (name, email, company) if value)


def matches(features: Features, needle: str, *, fuzzy: bool = False) -> ColumnElement[bool]:
    """Customers whose name, email or company contains ``needle`` (case-insensitively);
    ``fuzzy`` adds, on PostgreSQL, near matches (shared words, small typos)."""
    folded = fold(needle)
    column = customers.c.search_text
    if features.postgres:
        found: ColumnElement[bool] = column.contains(folded, autoescape=True)
        if fuzzy and len(folded) >= TYPO_MIN_LENGTH:
            query = func.plainto_tsquery(_SIMPLE, folded)
            found = or_(found, customers.c.search_vector.op("@@")(query), literal(folded).op("<%")(column))
        return found
    exact = func.instr(column, folded) > 0
    if features.fts and len(folded) >= _TRIGRAM:
        phrase = '"' + folded.replace('"', '""') + '"'
        candidates = _FTS_CANDIDATES.bindparams(phrase=phrase)
        return and_(literal_column("customers.rowid").in_(candidates), exact)
    return exact


def relevance(features: Features, needle: str) -> ColumnElement[int]:
    """An integer score, higher for better matches: the name being the needle beats the name
    starting with it, which beats the needle anywhere; on PostgreSQL full-text rank and
    trigram similarity order matches within a tier and rank near misses below them."""
    folded = fold(needle)
    tier = _tier(features, folded)
    if not features.postgres:
        return tier
    column = customers.c.search_text
    closeness = func.ts_rank(
        customers.c.search_vector, func.plainto_tsquery(_SIMPLE, folded)
    ) + func.word_similarity(folded, column)
    # ts_rank and word_similarity are each at most 1, so a tier outweighs them.
    score = cast(tier, Float) * 3 + cast(closeness, Float)
    return cast(func.floor(score * _RANK_SCALE), Integer)


def _tier(features: Features, folded: str) -> ColumnElement[int]:
    column = customers.c.search_text
    name = _name_part(features, column)
    found = column.contains(folded, autoescape=True) if features.postgres else func.instr(column, folded) > 0
    return case((name == folded, 3), (func.substr(name, 1, len(folded)) == folded, 2), (found, 1), else_=0)


def _name_part(features: Features, column: ColumnElement[str]) -> ColumnElement[str]:
    """The folded name: ``search_text`` up to its first separator."""
    if features.postgres:
        return func.split_part(column, SEPARATOR, 1)
    cut = func.instr(column, SEPARATOR)
    return case((cut > 0, func.substr(column, 1, cut - 1)), else_=column)
