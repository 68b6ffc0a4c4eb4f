"""Column types that behave the same on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Text
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

# Documents are stored as JSON text (exact round trip of every number); tags as JSONB on
# PostgreSQL, where a GIN index answers "has this tag".
JsonDocument = JSON()
JsonTags = JSON().with_variant(JSONB(), "postgresql")
# Python's code-point order; PostgreSQL's default collation would sort names otherwise.
SortableText = Text().with_variant(Text(collation="C"), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, whatever the database keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a time zone")
        value = value.astimezone(UTC)
        # SQLite keeps text: a fixed-width UTC string sorts and compares correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class SearchVector(TypeDecorator[Any]):
    """A ``tsvector`` on PostgreSQL; an unused placeholder column elsewhere."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(TSVECTOR())
        return dialect.type_descriptor(Text())


class SearchDocument(ColumnElement[Any]):
    """The generated expression behind ``customers.search_vector``: weighted name,
    company and email words on PostgreSQL, NULL where there is no full-text type."""

    inherit_cache = True


@compiles(SearchDocument, "postgresql")
def _search_document_pg(element: SearchDocument, compiler: SQLCompiler, **kw: Any) -> str:
    return (
        "setweight(to_tsvector('simple'::regconfig, coalesce(name, '')), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, coalesce(company, '')), 'B') || "
        "setweight(to_tsvector('simple'::regconfig, coalesce(email, '')), 'C')"
    )


@compiles(SearchDocument)
def _search_document_other(element: SearchDocument, compiler: SQLCompiler, **kw: Any) -> str:
    return "NULL"
