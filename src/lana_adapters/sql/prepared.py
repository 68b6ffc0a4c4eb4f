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

from sqlalchemy import JSON, Column, Dialect, Executable, Insert, Table
from sqlalchemy.dialects.postgresql import JSONB

Wrap = Callable[[Any], Any]


class Prepared:
    """A Core statement, its PostgreSQL SQL (compiled on first use) and the psycopg
    wrappers its JSON parameters need."""

    __slots__ = (
        "_bulk",
        "_constants",
        "_json",
        "_keys",
        "_sql",
        "_table",
        "by_key",
        "driver_state",
        "statement",
    )

    def __init__(
        self,
        statement: Executable,
        *,
        table: Table | None = None,
        keys: Sequence[str] = (),
        by_key: bool = False,
    ) -> None:
        self.statement = statement
        # Reads a handful of rows through a key: cheap whatever the tenant's size.
        self.by_key = by_key
        self._table = table
        self._keys = tuple(keys)
        self._sql: str | None = None
        self._json: dict[str, Wrap] | None = None
        self._constants: dict[str, Any] = {}
        # Bulk INSERT statements by the set of columns sent as one shared value.
        self._bulk: dict[frozenset[str], str] = {}
        # What each database's runner keeps for this statement, by dialect name (see
        # lana_adapters.sql.pgdriver and lana_adapters.sql.sqlitedriver).
        self.driver_state: dict[str, Any] = {}

    @property
    def keys(self) -> tuple[str, ...]:
        """The columns an INSERT or UPDATE sets (empty for other statements)."""
        return self._keys

    def sql(self, dialect: Dialect) -> str:
        if self._sql is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=list(self._keys) or None)  # type: ignore[attr-defined]
            # Values written into the statement (``status == 'done'``) become parameters too.
            self._constants = {name: value for name, value in compiled.params.items() if value is not None}
            self._sql = str(compiled)
        return self._sql

    def bulk(self, dialect: Dialect, rows: Sequence[Mapping[str, Any]]) -> tuple[str, dict[str, Any]] | None:
        """For a plain INSERT of ``keys``, one statement and its parameters inserting every
        row at once: a column whose value differs between rows is sent as one array
        (``unnest``), a column every row shares as a single value; None for other statements."""
        self.sql(dialect)  # learns the statement's own constants
        fixed = set(self._constants) - set(self._keys)
        if not isinstance(self.statement, Insert) or self._table is None or not self._keys or fixed:
            return None
        wrappers = self._wrappers(dialect)
        params: dict[str, Any] = {}
        shared: list[str] = []
        for key in self._keys:
            values = [row[key] for row in rows]
            wrap = wrappers.get(key)
            if wrap is not None:
                # One document holding every row's value: one encoder call instead of one per
                # row. Never shared: equal Python values (1 and true) are different documents.
                params[key] = wrap(values)
            elif values.count(values[0]) == len(values):
                shared.append(key)
                params[key] = values[0]
            else:
                params[key] = values
        shape = frozenset(shared)
        sql = self._bulk.get(shape)
        if sql is None:
            sql = self._bulk[shape] = _unnest_insert(self._table, self._keys, shape, dialect)
        return sql, params

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


def _unnest_insert(table: Table, keys: Sequence[str], shared: frozenset[str], dialect: Dialect) -> str:
    quote = dialect.identifier_preparer
    varying = [key for key in keys if key not in shared] or [keys[0]]
    picked = ", ".join(
        f"u.{quote.quote(key)}" if key in varying else f"%({key})b::{_base_type(table.columns[key], dialect)}"
        for key in keys
    )
    arrays = ", ".join(_array(table.columns[key], dialect) for key in varying)
    aliases = ", ".join(quote.quote(key) for key in varying)
    names = ", ".join(quote.quote(key) for key in keys)
    # Built from the table's own metadata, never from values: those travel as parameters.
    return (
        f"INSERT INTO {quote.format_table(table)} ({names}) "  # noqa: S608
        f"SELECT {picked} FROM unnest({arrays}) AS u({aliases})"
    )


def _array(column: Column[Any], dialect: Dialect) -> str:
    """The parameter holding one column's values as an array; JSON values come as one
    document (a JSON array) split on the server, in order."""
    kind = _base_type(column, dialect)
    if kind.lower() in ("json", "jsonb"):
        return f"ARRAY(SELECT {kind.lower()}_array_elements(%({column.name})s::{kind}))"
    return f"%({column.name})b::{kind}[]"


def _base_type(column: Column[Any], dialect: Dialect) -> str:
    """The column's type as an array element type names it (a collation is the column's business)."""
    return str(column.type.compile(dialect=dialect)).split(" COLLATE ", 1)[0]
