"""Run :class:`~lana_adapters.sql.prepared.Prepared` statements straight on psycopg.

Imported only on PostgreSQL, where psycopg is installed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from typing import Any

import psycopg
from psycopg.rows import RowMaker, namedtuple_row, no_result
from sqlalchemy.ext.asyncio import AsyncConnection

from lana_adapters.sql.errors import ConnectionLost, is_psycopg_connection_lost, translate_psycopg
from lana_adapters.sql.prepared import Prepared
from lana_adapters.telemetry.sql import statement_span
from lana_core.errors import Unavailable

_SYSTEM = "postgresql"
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


class PgRunner:
    """Executes prepared statements on the psycopg connection under one pooled connection,
    inside the transaction SQLAlchemy began; rows read by attribute like SQLAlchemy's."""

    __slots__ = ("_conn", "_driver")

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._driver: psycopg.AsyncConnection[Any] | None = None

    async def run(self, prepared: Prepared, params: Params) -> psycopg.AsyncCursor[Any]:
        """Run ``prepared`` once, or once per mapping of a list; raises the matching core error."""
        driver = self._driver or await self._driver_connection()
        cursor = driver.cursor(row_factory=_named_rows(prepared))
        try:
            with statement_span(prepared.sql(self._conn.dialect), _SYSTEM):
                await self._execute(cursor, prepared, params)
        except psycopg.Error as error:
            raise translate_psycopg(error) from error
        return cursor

    async def run_pipelined(
        self, statements: Sequence[tuple[Prepared, Params]], *, commit: bool = False
    ) -> None:
        """Run ``statements`` (then COMMIT, if asked) in one round trip: all are sent before
        any result is read. Raises the core error matching the first failure; the
        transaction is then aborted."""
        driver = self._driver or await self._driver_connection()
        try:
            # Each statement's span lasts until the round trip that answers them all.
            with ExitStack() as spans:
                async with driver.pipeline():
                    for prepared, params in statements:
                        spans.enter_context(statement_span(prepared.sql(self._conn.dialect), _SYSTEM))
                        await self._execute(driver.cursor(), prepared, params)
                    if commit:
                        await driver.commit()
        except psycopg.Error as error:
            raise translate_psycopg(error) from error

    async def begin_and_run(
        self,
        scope: str | None,
        appended: Sequence[tuple[Prepared, Params]],
        prepared: Prepared,
        params: Params,
        *,
        explicit: bool = True,
    ) -> psycopg.AsyncCursor[Any]:
        """BEGIN, ``scope`` (the transaction's or the session's settings), the ``appended``
        statements and ``prepared`` in one round trip; read ``prepared``'s rows from the
        cursor returned.

        Without ``explicit`` no BEGIN is sent: the connection is in autocommit mode, so the
        statements run as one implicit transaction that ends with the round trip; settings
        local to the transaction end with it, and a failure undoes the session's too.

        Raises ConnectionLost when the connection was found dead (nothing ran), otherwise
        the core error matching the first failure; the transaction is then aborted.
        """
        driver = self._driver or await self._driver_connection()
        cursor = driver.cursor(row_factory=_named_rows(prepared))
        dialect = self._conn.dialect
        try:
            with ExitStack() as spans:
                if not (explicit or scope or appended):
                    # One statement alone: a pipeline would only cost CPU.
                    spans.enter_context(statement_span(prepared.sql(dialect), _SYSTEM))
                    await self._execute(cursor, prepared, params)
                    return cursor
                async with driver.pipeline():
                    if explicit:
                        await driver.execute(b"BEGIN")
                    if scope is not None:
                        await driver.execute(scope.encode())
                    for statement, values in appended:
                        spans.enter_context(statement_span(statement.sql(dialect), _SYSTEM))
                        await self._execute(driver.cursor(), statement, values)
                    spans.enter_context(statement_span(prepared.sql(dialect), _SYSTEM))
                    await self._execute(cursor, prepared, params)
        except psycopg.Error as error:
            if is_psycopg_connection_lost(error):
                raise ConnectionLost(f"the database connection was lost: {error}") from error
            if isinstance(error, psycopg.errors.InvalidParameterValue) and "role" in str(error):
                raise Unavailable(f"{error}; has the schema been migrated?") from error
            raise translate_psycopg(error) from error
        return cursor

    async def commit(self) -> None:
        """COMMIT on psycopg directly, for a transaction SQLAlchemy will find ended when it
        closes the connection (its rollback then sends nothing)."""
        driver = self._driver or await self._driver_connection()
        try:
            await driver.commit()
        except psycopg.Error as error:
            raise translate_psycopg(error) from error

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

    async def _driver_connection(self) -> psycopg.AsyncConnection[Any]:
        sync = self._conn.sync_connection
        if sync is not None and not (sync.closed or sync.invalidated):
            # A live connection hands its pooled connection over without I/O: no greenlet
            # is spawned to fetch it.
            raw = sync.connection
        else:
            raw = await self._conn.get_raw_connection()
        driver: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
        self._driver = driver
        return driver


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
