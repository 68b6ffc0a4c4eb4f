"""The unit of work's driver on SQLite: aiosqlite, used directly (see :mod:`lana_adapters.sql.tx`).

SQLAlchemy's async adapter sends each statement to the aiosqlite connection's thread in
three or four hops (cursor, execute, fetch, close), after its own execution machinery;
each hop wakes a thread, hands the GIL over and back and wakes the event loop. Here a
:class:`~lana_adapters.sql.prepared.Prepared` statement is one hop (``execute_fetchall``),
or two for a write whose row count matters (execute, close), as are ``BEGIN IMMEDIATE``,
``COMMIT`` and ``ROLLBACK``. The SQL and the conversions of values (UUIDs, UTC datetimes,
JSON documents) are SQLAlchemy's own, compiled once per statement; statements it must
expand per call (``IN`` lists) are left to SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Dialect, Select, exc
from sqlalchemy.ext.asyncio import AsyncConnection

from lana_adapters.sql.driver import Ahead
from lana_adapters.sql.errors import DRIVER_ERRORS, translate
from lana_adapters.sql.prepared import Prepared
from lana_adapters.telemetry.sql import statement_span

if TYPE_CHECKING:
    import aiosqlite

    from lana_adapters.sql.driver import Appended, Params
    from lana_adapters.sql.writers import WriteQueue

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


class SqliteDriver:
    """Sends a unit's ``BEGIN IMMEDIATE``, prepared statements and COMMIT or ROLLBACK on the
    aiosqlite connection under one pooled connection; raises the matching core error.

    SQLite's autocommit mode runs a statement sent outside a transaction as one of its own.
    The only transaction a unit begins writes: ``BEGIN IMMEDIATE`` is sent once the
    ``writers`` queue lets the unit in (see :mod:`lana_adapters.sql.writers`), and takes
    the write lock; the turn ends with the transaction.
    """

    __slots__ = ("_conn", "_lite", "_turn", "_writers")

    def __init__(self, conn: AsyncConnection, writers: WriteQueue | None = None) -> None:
        self._conn = conn
        self._writers = writers
        self._lite: aiosqlite.Connection | None = None
        self._turn = False

    def in_transaction(self) -> bool:
        return self._lite is not None and self._lite.in_transaction

    def runs(self, prepared: Prepared) -> bool:
        return sqlite_statement(prepared, self._conn.dialect) is not None

    async def rows(self, prepared: Prepared, params: Params, ahead: Ahead | None) -> list[Any]:
        """Every row ``prepared`` returns (none for a write), in one hop."""
        lite = await self._ready(ahead)
        statement = _compiled(prepared, self._conn.dialect)
        values = statement.parameters(params if isinstance(params, Mapping) else {})
        try:
            with statement_span(statement.sql, _SYSTEM):
                found = await lite.execute_fetchall(statement.sql, values)
        except sqlite3.Error as error:
            raise _translated(statement.sql, error) from error
        return statement.rows(list(found))

    async def write(
        self, prepared: Prepared, params: Params, ahead: Ahead | None, *, count: bool = True
    ) -> int:
        """Run a write once, or once per mapping of a list; the rows it touched. Two hops, or
        one for one row when nobody needs the ``count`` (then 0)."""
        one = params[0] if isinstance(params, Sequence) and len(params) == 1 else params
        if not count and isinstance(one, Mapping):
            await self.rows(prepared, one, ahead)
            return 0
        lite = await self._ready(ahead)
        statement = _compiled(prepared, self._conn.dialect)
        try:
            with statement_span(statement.sql, _SYSTEM):
                if isinstance(params, Sequence):
                    cursor = await lite.executemany(statement.sql, [statement.parameters(r) for r in params])
                else:
                    cursor = await lite.execute(statement.sql, statement.parameters(params or {}))
                try:
                    return int(cursor.rowcount)
                finally:
                    await cursor.close()
        except sqlite3.Error as error:
            raise _translated(statement.sql, error) from error

    async def begin(self, ahead: Ahead) -> None:
        await self._ready(ahead)

    async def commit(self, appended: Appended) -> None:
        lite = await self._ready(Ahead(False, None, appended))
        try:
            await lite.commit()
        except sqlite3.Error as error:
            raise _translated("COMMIT", error) from error
        self._end_turn()

    async def leave(self, *, only_read: bool) -> None:
        """ROLLBACK whatever is open, ``only_read`` or not (SQLite keeps no prepared
        statements to lose), and end the writer's turn."""
        try:
            if self.in_transaction():
                await (await self._connection()).rollback()
        except sqlite3.Error as error:
            raise _translated("ROLLBACK", error) from error
        finally:
            self._end_turn()

    async def _ready(self, ahead: Ahead | None) -> aiosqlite.Connection:
        """The connection, with what travels ahead sent: the writer's turn and ``BEGIN
        IMMEDIATE``, then appended rows."""
        lite = await self._connection()
        if ahead is None:
            return lite
        if ahead.begin:
            await self._begin_immediate(lite)
        for prepared, params in ahead.appended:
            await self.write(prepared, params, None, count=False)
        return lite

    async def _begin_immediate(self, lite: aiosqlite.Connection) -> None:
        if self._writers is not None and not self._turn:
            await self._writers.enter()
            self._turn = True
        try:
            await lite.execute_fetchall("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise _translated("BEGIN IMMEDIATE", error) from error

    def _end_turn(self) -> None:
        if self._turn and self._writers is not None:
            self._writers.leave()
        self._turn = False

    async def _connection(self) -> aiosqlite.Connection:
        if self._lite is None:
            self._lite = await self._raw_connection()
        return self._lite

    async def _raw_connection(self) -> aiosqlite.Connection:
        try:
            raw = await self._conn.get_raw_connection()
        except DRIVER_ERRORS as error:
            raise translate(error) from error
        driver: aiosqlite.Connection | None = raw.driver_connection
        assert driver is not None, "a unit of work's connection is open while it runs"
        return driver


def _compiled(prepared: Prepared, dialect: Dialect) -> SqliteStatement:
    statement = sqlite_statement(prepared, dialect)
    assert statement is not None, "the unit of work asks SqliteDriver.runs first"
    return statement


def _converted(row: Sequence[Any], results: Sequence[Convert]) -> list[Any]:
    return [value if convert is None else convert(value) for value, convert in zip(row, results, strict=True)]


def _translated(sql: str, error: sqlite3.Error) -> Exception:
    return translate(exc.DBAPIError.instance(sql, None, error, sqlite3.Error))
