"""Statements compiled once, for the hot paths.

On PostgreSQL a :class:`Prepared` statement runs straight on the psycopg connection under
the pooled SQLAlchemy one, with SQL SQLAlchemy compiled once: this skips the per-call
execution machinery, which costs more CPU than psycopg itself. Values are the same
dicts the SQLAlchemy path takes; JSON columns are wrapped for psycopg. Elsewhere the
statement runs through SQLAlchemy as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Dialect, Executable, Table
from sqlalchemy.dialects.postgresql import JSONB

Wrap = Callable[[Any], Any]


class Prepared:
    """A Core statement, its PostgreSQL SQL (compiled on first use) and the psycopg
    wrappers its JSON parameters need."""

    __slots__ = ("_constants", "_json", "_keys", "_sql", "_table", "statement")

    def __init__(
        self, statement: Executable, *, table: Table | None = None, keys: Sequence[str] = ()
    ) -> None:
        self.statement = statement
        self._table = table
        self._keys = tuple(keys)
        self._sql: str | None = None
        self._json: dict[str, Wrap] | None = None
        self._constants: dict[str, Any] = {}

    def sql(self, dialect: Dialect) -> str:
        if self._sql is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=list(self._keys) or None)  # type: ignore[attr-defined]
            # Values written into the statement (``status == 'done'``) become parameters too.
            self._constants = {name: value for name, value in compiled.params.items() if value is not None}
            self._sql = str(compiled)
        return self._sql

    def adapt(self, dialect: Dialect, params: Mapping[str, Any]) -> Mapping[str, Any]:
        """``params`` with the statement's own constants, and JSON values wrapped the way
        psycopg sends them; call after :meth:`sql`."""
        wrappers = self._wrappers(dialect)
        if wrappers:
            params = {
                key: (wrappers[key](value) if key in wrappers else value) for key, value in params.items()
            }
        return {**self._constants, **params} if self._constants else params

    def _wrappers(self, dialect: Dialect) -> dict[str, Wrap]:
        if self._json is None:
            self._json = {} if self._table is None else _json_wrappers(self._table, dialect)
        return self._json


def _json_wrappers(table: Table, dialect: Dialect) -> dict[str, Wrap]:
    from psycopg.types.json import Json, Jsonb

    wrappers: dict[str, Wrap] = {}
    for column in table.columns:
        kind = column.type.dialect_impl(dialect)
        if isinstance(kind, JSONB):
            wrappers[column.name] = Jsonb
        elif isinstance(kind, JSON):
            wrappers[column.name] = Json
    return wrappers


def insert(table: Table, keys: Sequence[str]) -> Prepared:
    """An INSERT of ``keys`` into ``table``, one row or many."""
    return Prepared(table.insert(), table=table, keys=keys)


def update(statement: Executable, table: Table, keys: Sequence[str]) -> Prepared:
    """An UPDATE setting ``keys`` (its WHERE clause binds its own parameters)."""
    return Prepared(statement, table=table, keys=keys)
