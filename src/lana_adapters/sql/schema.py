"""What Alembic compares and how it connects: shared by the migrations and the drift check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import MetaData

from lana_adapters.sql.tables import metadata

# Indexes only PostgreSQL has (GIN); tables only SQLite has (the FTS5 index and its shadows).
POSTGRES_ONLY_INDEXES = frozenset({"ix_customers_tags"})
# Search indexes the migrations keep outside the metadata: SQLite's FTS5 table (and its
# shadow tables), PostgreSQL's customer_search.
SEARCH_TABLE_PREFIXES = ("customers_fts", "customer_search")


def schema_metadata() -> MetaData:
    """Every table the migrations create, including those other adapters declare on
    :data:`~lana_adapters.sql.tables.metadata` (the messaging inbox)."""
    from lana_adapters.messaging import inbox_table  # registers ``inbox`` on the shared metadata

    assert inbox_table.inbox.metadata is metadata
    return metadata


IncludeObject = Callable[[Any, str | None, str, bool, Any], bool]


def include_object(dialect: str) -> IncludeObject:
    """Alembic's filter: leave out the objects that exist on the other database only."""

    def include(_obj: Any, name: str | None, type_: str, _reflected: bool, _compare_to: Any) -> bool:
        if type_ == "table" and name is not None and name.startswith(SEARCH_TABLE_PREFIXES):
            return False
        return not (type_ == "index" and dialect != "postgresql" and name in POSTGRES_ONLY_INDEXES)

    return include
