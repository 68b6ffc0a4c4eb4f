"""Run :class:`~lana_adapters.sql.prepared.Prepared` statements straight on SQLite's driver.

SQLAlchemy's async adapter sends each statement to the aiosqlite connection's thread in
three or four hops (cursor, execute, fetch, close), after its own execution machinery;
each hop wakes a thread, hands the GIL over and back and wakes the event loop. Here a
statement that waits on no lock and takes microseconds (a read by key, or a one-row write
once the unit holds the write lock) runs on the event loop's thread with no hop at all,
as the sqlite3 module's own callers do; any other is one hop (``execute_fetchall``), or
two for a write whose row count matters (execute, close). The SQL and the conversions of
values (UUIDs, UTC datetimes, JSON documents) are SQLAlchemy's own, compiled once per
statement; statements it must expand per call (``IN`` lists) are left to SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, Select, exc
from sqlalchemy.ext.asyncio import AsyncConnection

from lana_adapters.sql.errors import translate
from lana_adapters.sql.prepared import Prepared
from lana_adapters.telemetry.sql import statement_span

_SYSTEM = "sqlite"
Convert = Callable[[Any], Any] | None


class SqliteStatement:
    """A Prepared statement compiled for SQLite: its SQL, the names of its positional
    parameters with their converters, and the row type of its result."""

    __slots__ = ("_binds", "_constants", "_make_row", "_names", "_results", "sql")

    def __init__(self, prepared: Prepared, compiled: Any, dialect: Dialect) -> None:
        self.sql = str(compiled)
        self._names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self._constants = {name: value for name, value in compiled.params.items() if value is not None}
        self._binds: tuple[Convert, ...] = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self._names
        )
        statement = prepared.statement
        if isinstance(statement, Select):
            selected = list(statement.selected_columns)
            self._results: tuple[Convert, ...] = tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected
            )
            names = list(statement.selected_columns.keys())
            # Named as SQLAlchemy names the columns of its rows (``count``, ``count_1``).
            row_type: Any = namedtuple("Row", names, rename=True)  # type: ignore[misc]
            self._make_row: Callable[[Sequence[Any]], Any] | None = row_type._make
        else:
            self._results, self._make_row = (), None

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        given = {**self._constants, **values} if self._constants else values
        return tuple(
            given[name] if convert is None else convert(given[name])
            for name, convert in zip(self._names, self._binds, strict=True)
        )

    def rows(self, found: Sequence[Sequence[Any]]) -> list[Any]:
        make = self._make_row
        if make is None:
            return []
        results = self._results
        if not any(results):
            return [make(row) for row in found]
        return [make(_converted(row, results)) for row in found]


def sqlite_statement(prepared: Prepared, dialect: Dialect) -> SqliteStatement | None:
    """``prepared`` compiled for SQLite once; None when SQLAlchemy must compile it per call
    (a list expanded into ``IN (...)``)."""
    state = prepared.driver_state
    if _SYSTEM not in state:
        keys = list(prepared.keys) or None
        compiled = prepared.statement.compile(dialect=dialect, column_keys=keys)  # type: ignore[attr-defined]
        fixed = not (compiled.literal_execute_params or compiled.post_compile_params)
        state[_SYSTEM] = SqliteStatement(prepared, compiled, dialect) if fixed else None
    found: SqliteStatement | None = state[_SYSTEM]
    return found


class SqliteRunner:
    """Executes prepared statements on SQLite's driver under one pooled connection, inside
    the transaction SQLAlchemy began; raises the matching core error."""

    __slots__ = ("_conn",)

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def rows(
        self, statement: SqliteStatement, params: Mapping[str, Any] | None, *, lock_free: bool = False
    ) -> list[Any]:
        """Every row ``statement`` returns (none for a write), in one hop; with ``lock_free``
        (a read, or a write under the write lock already held) on this thread, with none."""
        values = statement.parameters(params or {})
        driver = self._driver()
        here = _sqlite_connection(driver) if lock_free else None
        try:
            with statement_span(statement.sql, _SYSTEM):
                if here is None:
                    found = list(await driver.execute_fetchall(statement.sql, values))
                else:
                    found = _run_here(here, statement.sql, values)
        except sqlite3.Error as error:
            raise _translated(statement, error) from error
        return statement.rows(found)

    async def write(
        self,
        statement: SqliteStatement,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        lock_free: bool = False,
    ) -> int:
        """Run a write once, or once per mapping of a list; the rows it touched. Two hops;
        one row with ``lock_free`` (the write lock is held) none."""
        driver = self._driver()
        here = _sqlite_connection(driver) if lock_free and isinstance(params, Mapping) else None
        try:
            with statement_span(statement.sql, _SYSTEM):
                if here is not None and isinstance(params, Mapping):
                    return _count_here(here, statement.sql, statement.parameters(params))
                if isinstance(params, Mapping):
                    cursor = await driver.execute(statement.sql, statement.parameters(params))
                else:
                    many = [statement.parameters(row) for row in params]
                    cursor = await driver.executemany(statement.sql, many)
                try:
                    return int(cursor.rowcount)
                finally:
                    await cursor.close()
        except sqlite3.Error as error:
            raise _translated(statement, error) from error

    def _driver(self) -> Any:
        sync = self._conn.sync_connection
        assert sync is not None, "a unit of work's connection is open while it runs"
        return sync.connection.driver_connection


def _sqlite_connection(driver: Any) -> sqlite3.Connection | None:
    """The sqlite3 connection under an aiosqlite one, when it may be used from this thread."""
    try:
        connection = driver._conn  # as SQLAlchemy's aiosqlite dialect reaches it
    except (AttributeError, ValueError):  # another aiosqlite, or the connection is closed
        return None
    return connection if isinstance(connection, sqlite3.Connection) else None


def _run_here(connection: sqlite3.Connection, sql: str, values: Sequence[Any]) -> list[Any]:
    """``sql`` on the event loop's thread: for a statement that takes microseconds and waits
    on no lock, a hop to the connection's thread (a thread wake-up, the GIL handed over
    and back, the loop woken) costs more than the statement itself."""
    cursor = connection.execute(sql, values)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _count_here(connection: sqlite3.Connection, sql: str, values: Sequence[Any]) -> int:
    """:func:`_run_here` for a write: the rows it touched."""
    cursor = connection.execute(sql, values)
    try:
        return int(cursor.rowcount)
    finally:
        cursor.close()


def _converted(row: Sequence[Any], results: Sequence[Convert]) -> list[Any]:
    return [value if convert is None else convert(value) for value, convert in zip(row, results, strict=True)]


def _translated(statement: SqliteStatement, error: sqlite3.Error) -> Exception:
    wrapped = exc.DBAPIError.instance(statement.sql, None, error, sqlite3.Error)
    return translate(wrapped)
