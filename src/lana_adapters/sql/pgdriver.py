"""The unit of work's driver on PostgreSQL: psycopg, used directly (see :mod:`lana_adapters.sql.tx`).

A :class:`~lana_adapters.sql.prepared.Prepared` statement runs on the psycopg connection
under the pooled one with SQL SQLAlchemy compiled once, prepared on the server; what
travels before it (BEGIN, the scope, appended rows) goes in the same pipeline, one round
trip. Imported only on PostgreSQL, where psycopg is installed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import RowMaker, namedtuple_row, no_result
from sqlalchemy.ext.asyncio import AsyncConnection

from lana_adapters.sql.errors import (
    DRIVER_ERRORS,
    ConnectionLost,
    is_psycopg_connection_lost,
    translate,
    translate_psycopg,
)
from lana_adapters.sql.prepared import Prepared
from lana_adapters.telemetry.sql import statement_span
from lana_core.errors import LanaError, Unavailable

if TYPE_CHECKING:
    from lana_adapters.sql.driver import Ahead, Appended, Params

_SYSTEM = "postgresql"


class PgDriver:
    """Sends a unit's BEGIN, scope, prepared statements and COMMIT or ROLLBACK on the psycopg
    connection under one pooled connection; rows read by attribute like SQLAlchemy's.

    Raises the core error matching any failure: ConnectionLost when the connection was
    found dead, Unavailable when the scope names a role the database lacks.
    """

    __slots__ = ("_conn", "_pg")

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._pg: psycopg.AsyncConnection[Any] | None = None

    def in_transaction(self) -> bool:
        return self._pg is not None and self._pg.info.transaction_status != TransactionStatus.IDLE

    def runs(self, prepared: Prepared) -> bool:
        """Every one: psycopg takes the SQL SQLAlchemy compiled once for it."""
        return True

    async def rows(self, prepared: Prepared, params: Params, ahead: Ahead | None) -> list[Any]:
        return await (await self._run(prepared, params, ahead)).fetchall()

    async def write(
        self, prepared: Prepared, params: Params, ahead: Ahead | None, *, count: bool = True
    ) -> int:
        return (await self._run(prepared, params, ahead)).rowcount

    async def begin(self, ahead: Ahead) -> None:
        """Send ``ahead`` with no statement after it: BEGIN and the scope as one simple query,
        or in one pipeline with appended rows."""
        pg = await self._driver()
        try:
            if ahead.appended:
                with ExitStack() as spans:
                    async with pg.pipeline():
                        await self._send_ahead(pg, ahead, spans)
            elif ahead.begin:
                await pg.execute(("BEGIN" if ahead.scope is None else f"BEGIN; {ahead.scope}").encode())
        except psycopg.Error as error:
            raise _translated(error) from error

    async def commit(self, appended: Appended) -> None:
        """COMMIT, in one round trip with ``appended`` rows."""
        pg = await self._driver()
        try:
            if not appended:
                await pg.commit()
                return
            with ExitStack() as spans:
                async with pg.pipeline():
                    await self._send(pg, appended, spans)
                    await pg.commit()
        except psycopg.Error as error:
            raise translate_psycopg(error) from error

    async def leave(self, *, only_read: bool) -> None:
        """End whatever transaction is open keeping nothing: ROLLBACK, or COMMIT for a healthy
        one that ``only_read``. That does what ROLLBACK would, but psycopg forgets every
        prepared statement of the connection at ROLLBACK, so the next units on it would
        parse and plan them again, which costs the server several times the prepared
        statement's work."""
        if not self.in_transaction():
            return
        pg = await self._driver()
        try:
            if only_read and pg.info.transaction_status == TransactionStatus.INTRANS:
                await pg.commit()
            else:
                await pg.rollback()
        except psycopg.Error as error:
            raise translate_psycopg(error) from error

    async def _run(self, prepared: Prepared, params: Params, ahead: Ahead | None) -> psycopg.AsyncCursor[Any]:
        pg = await self._driver()
        cursor = pg.cursor(row_factory=_named_rows(prepared))
        try:
            with ExitStack() as spans:
                if ahead is None:  # one statement alone: a pipeline would only cost CPU
                    spans.enter_context(statement_span(prepared.sql(self._conn.dialect), _SYSTEM))
                    await self._execute(cursor, prepared, params)
                    return cursor
                async with pg.pipeline():
                    await self._send_ahead(pg, ahead, spans)
                    spans.enter_context(statement_span(prepared.sql(self._conn.dialect), _SYSTEM))
                    await self._execute(cursor, prepared, params)
        except psycopg.Error as error:
            raise _translated(error) from error
        return cursor

    async def _send_ahead(self, pg: psycopg.AsyncConnection[Any], ahead: Ahead, spans: ExitStack) -> None:
        if ahead.begin:
            await pg.execute(b"BEGIN")
        if ahead.scope is not None:
            await pg.execute(ahead.scope.encode())
        await self._send(pg, ahead.appended, spans)

    async def _send(self, pg: psycopg.AsyncConnection[Any], statements: Appended, spans: ExitStack) -> None:
        # Each statement's span lasts until the round trip that answers them all.
        for prepared, params in statements:
            spans.enter_context(statement_span(prepared.sql(self._conn.dialect), _SYSTEM))
            await self._execute(pg.cursor(), prepared, params)

    async def _execute(self, cursor: psycopg.AsyncCursor[Any], prepared: Prepared, params: Params) -> None:
        if isinstance(params, Sequence):
            await self._many(cursor, prepared, params)
        else:
            # Fixed statements whose best plan does not depend on their values.
            dialect = self._conn.dialect
            await cursor.execute(prepared.sql(dialect), prepared.adapt(dialect, params or {}), prepare=True)

    async def _many(
        self, cursor: psycopg.AsyncCursor[Any], prepared: Prepared, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """Many rows: one INSERT of column arrays when the statement allows it (one round
        trip, one plan), else the statement once per row in one pipeline."""
        dialect = self._conn.dialect
        if len(rows) == 1:  # a change's one event or audit row: execute costs less than executemany
            await cursor.execute(prepared.sql(dialect), prepared.adapt(dialect, rows[0]), prepare=True)
            return
        bulk = prepared.bulk(dialect, rows) if rows else None
        if bulk is not None:
            await cursor.execute(*bulk, prepare=True)
        else:
            sql = prepared.sql(dialect)
            await cursor.executemany(sql, [prepared.adapt(dialect, row) for row in rows])

    async def _driver(self) -> psycopg.AsyncConnection[Any]:
        if self._pg is None:
            self._pg = await self._raw_connection()
        return self._pg

    async def _raw_connection(self) -> psycopg.AsyncConnection[Any]:
        try:
            raw = await self._conn.get_raw_connection()
        except DRIVER_ERRORS as error:
            raise translate(error) from error
        driver: psycopg.AsyncConnection[Any] | None = raw.driver_connection
        assert driver is not None, "a unit of work's connection is open while it runs"
        return driver


def _translated(error: psycopg.Error) -> LanaError:
    if is_psycopg_connection_lost(error):
        return ConnectionLost(f"the database connection was lost: {error}")
    if isinstance(error, psycopg.errors.InvalidParameterValue) and "role" in str(error):
        return Unavailable(f"{error}; has the schema been migrated?")
    return translate_psycopg(error)


class _NamedRows:
    """psycopg's ``namedtuple_row`` for one prepared statement. The statement names its
    columns, so their names never change; psycopg would read and hash every name of every
    result to find the row class again."""

    __slots__ = ("_make",)

    def __init__(self) -> None:
        self._make: RowMaker[Any] | None = None

    def __call__(self, cursor: psycopg.AsyncCursor[Any]) -> RowMaker[Any]:
        if self._make is not None:
            return self._make
        make = namedtuple_row(cursor)
        if make is not no_result:  # a result without rows says nothing of the columns
            self._make = make
        return make


def _named_rows(prepared: Prepared) -> _NamedRows:
    rows: _NamedRows | None = prepared.driver_state.get(_SYSTEM)
    if rows is None:
        rows = prepared.driver_state[_SYSTEM] = _NamedRows()
    return rows
