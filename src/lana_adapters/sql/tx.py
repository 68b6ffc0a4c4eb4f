"""A unit of work's statements, in the one transaction its connection's driver begins and ends.

Who sends what, and when:

- :class:`Tx` decides; the connection's :class:`~lana_adapters.sql.driver.Driver` sends.
  Tx knows the unit's tenant and role, whether it changed anything and the rows it
  appended. The driver (``PgDriver`` on psycopg, ``SqliteDriver`` on aiosqlite) sends
  BEGIN, the tenant scope, the prepared statements and COMMIT or ROLLBACK straight to the
  database's driver. SQLAlchemy runs the other statements (lists, searches) inside the
  transaction the driver began; the connection is in autocommit mode for it, so it sends
  none of those itself (see :mod:`lana_adapters.sql.engine`).
- Until a unit changes something, each read is a transaction of its own, with neither BEGIN
  nor an ending: under READ COMMITTED one long transaction would see the same newest
  committed rows. On PostgreSQL a read through SQLAlchemy begins the transaction, to scope it.
- The first change begins the unit's transaction in the round trip of the statement that
  needs it: on PostgreSQL BEGIN, the scope and the statement in one pipeline; on SQLite,
  once the queue of writers lets the unit in (:mod:`lana_adapters.sql.writers`), ``BEGIN
  IMMEDIATE``, taking the write lock, then the statement.
- Rows appended to a log (outbox, audit, analytics) travel ahead of the unit's next
  statement or of its COMMIT; on PostgreSQL in the same pipeline.
- :meth:`Tx.commit` sends COMMIT, :meth:`Tx.rollback` ROLLBACK; :meth:`Tx.leave` ends
  whatever is still open, and a connection it fails on is dropped by the unit of work.

The tenant scope (PostgreSQL: ``app.tenant_id`` and the role, read by row-level security)
is stated in every transaction's BEGIN unless the pooled session provably runs as it. A
read alone sets it for the session instead (``session_scope``), so the next unit of that
tenant on the connection reads in one statement. The connection records a session's scope
only once the statements setting it succeeded; from the moment they are sent the record
says *unknown* (:func:`~lana_adapters.sql.engine.changing_session_scope`), so after any
failure (a value refused, a constraint, a timeout, a cancellation) each transaction on the
connection states its own scope until a read records one again. :meth:`Tx._open` is the
one place a unit sends its scope. A round trip opening a transaction (a read alone too)
that finds the connection lost is sent again on a fresh one: nothing ran in it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Executable, column, text
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection

from lana_adapters.sql.driver import Ahead, AnyRow, Appended, Driver, Features, Params, Send, driver_for
from lana_adapters.sql.engine import changing_session_scope, scope_to_send
from lana_adapters.sql.errors import DRIVER_ERRORS, ConnectionLost, translate
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.writers import WriteQueue

__all__ = ["AnyRow", "Features", "Statement", "Tx"]

T = TypeVar("T")
# A fresh connection for the ``attempt``-th round trip that found its own lost; None: give up.
Reconnect = Callable[[int], Awaitable[AsyncConnection | None]]
Statement = Executable | Prepared

# SELECTs changing settings local to the transaction (a rollback undoes them), not data.
_SORTING_OFF = text(
    "SELECT set_config('enable_sort', 'off', true), set_config('enable_incremental_sort', 'off', true)"
).columns(column("sort"), column("incremental_sort"))
_SORTING_BACK = text(
    "SELECT set_config(name, reset_val, true) FROM pg_settings"
    " WHERE name IN ('enable_sort', 'enable_incremental_sort')"
).columns(column("setting"))


class Tx:
    """Statements of one tenant's unit of work on one pooled connection, in the transaction
    it begins when it first needs one; each method raises the core error matching a
    database failure."""

    __slots__ = (
        "_appended",
        "_changed",
        "_conn",
        "_driver",
        "_reconnect",
        "_role",
        "_session_scope",
        "features",
        "tenant_id",
    )

    def __init__(
        self,
        conn: AsyncConnection,
        tenant_id: UUID,
        features: Features,
        role: str | None,
        *,
        queue: WriteQueue | None = None,
        session_scope: bool = False,
        reconnect: Reconnect | None = None,
    ) -> None:
        self._conn = conn
        self._driver = driver_for(conn, postgres=features.postgres, writers=queue)
        self._role = role
        self._session_scope = session_scope
        self._reconnect = reconnect
        self._changed = False  # a statement but a SELECT ran, or rows were appended
        self._appended: Appended = []
        self.features = features
        self.tenant_id = tenant_id

    @property
    def postgres(self) -> bool:
        return self.features.postgres

    async def rows(self, statement: Statement, params: Mapping[str, Any] | None = None) -> Sequence[AnyRow]:
        """Every row ``statement`` returns."""
        if isinstance(statement, Prepared) and self._driver.runs(statement):
            self._note(statement.statement)
            return await self._send(lambda driver, ahead: driver.rows(statement, params, ahead))
        return (await self._execute(_plain(statement), params)).all()

    async def rows_in_index_order(
        self, statement: Statement, params: Mapping[str, Any] | None = None
    ) -> Sequence[AnyRow]:
        """:meth:`rows`, reading rows in an index's order rather than sorting them, for a filter
        the caller knows many rows pass: under row-level security PostgreSQL hides column
        statistics from operators that are not leakproof (LIKE), so it guesses a handful of
        matches and sorts them all instead of walking an index until a page is full."""
        if not self.postgres:
            return await self.rows(statement, params)
        await self._execute(_SORTING_OFF, None)
        found = await self.rows(statement, params)
        await self._execute(_SORTING_BACK, None)
        return found

    async def first(self, statement: Statement, params: Mapping[str, Any] | None = None) -> AnyRow | None:
        found = await self.rows(statement, params)
        return found[0] if found else None

    async def scalar(self, statement: Statement, params: Mapping[str, Any] | None = None) -> Any:
        row = await self.first(statement, params)
        return None if row is None else row[0]

    async def write(self, statement: Statement, params: Params = None, *, count: bool = True) -> int:
        """Run an INSERT, UPDATE or DELETE (once per mapping of a list); the rows it touched,
        or 0 when nobody needs the ``count`` (one row then costs SQLite one hop, not two)."""
        self._changed = True
        if isinstance(statement, Prepared) and self._driver.runs(statement):
            return await self._send(lambda driver, ahead: driver.write(statement, params, ahead, count=count))
        return (await self._execute(_plain(statement), params)).rowcount

    async def insert(self, statement: Statement, params: Params) -> None:
        """:meth:`write` for a statement whose row count nobody needs."""
        await self.write(statement, params, count=False)

    async def append(self, statement: Prepared, params: Params) -> None:
        """Insert rows into an append-only log (outbox, audit, analytics) that nobody reads back
        in this unit of work and whose row count nobody needs. They travel ahead of the
        unit's next statement or of its COMMIT, which then reports their failure."""
        if params is None or params:
            self._changed = True
            self._appended.append((statement, params))

    async def commit(self) -> None:
        """Make the transaction durable; raises Conflict or Unavailable as the driver reports
        (the transaction is then left for :meth:`leave` to roll back)."""
        if self._appended and not self._driver.in_transaction():
            await self._opening(_begin, alone=False)  # the rows go with BEGIN
        if self._driver.in_transaction():
            await self._driver.commit(self._take_appended())
        self._changed = False

    async def rollback(self) -> None:
        await self._end(only_read=False)

    async def leave(self) -> None:
        """End the transaction, keeping nothing that was not committed. Raises the driver's
        error; the caller then drops the connection."""
        await self._end(only_read=not self._changed)

    async def _end(self, *, only_read: bool) -> None:
        try:
            await self._driver.leave(only_read=only_read)
        finally:
            self._appended.clear()
            self._changed = False

    async def _send(self, run: Send[T]) -> T:
        """``run`` a statement on the driver: in the open transaction, behind the rows
        appended so far; else in the round trip opening one."""
        if not self._driver.in_transaction():
            return await self._opening(run, alone=not self._changed)
        return await run(self._driver, Ahead(False, None, self._take_appended()) if self._appended else None)

    async def _execute(self, statement: Executable, params: Params) -> CursorResult[Any]:
        """Run ``statement`` through SQLAlchemy, once the driver opened the unit's transaction
        where one is needed and sent the rows appended so far."""
        self._note(statement)
        if self._driver.in_transaction():
            if self._appended:
                await self._driver.begin(Ahead(False, None, self._take_appended()))
        elif self._changed or self.postgres:
            await self._opening(_begin, alone=False)
        try:
            return await self._conn.execute(statement, params)
        except DRIVER_ERRORS as error:
            raise translate(error) from error

    async def _opening(self, run: Send[T], *, alone: bool) -> T:
        """``run`` in the round trip opening a transaction: the statement's own when
        ``alone``, else the unit's."""
        appended = self._take_appended()
        attempt = 1
        while True:
            try:
                return await self._open(run, appended, alone=alone)
            except ConnectionLost:
                fresh = None if self._reconnect is None else await self._reconnect(attempt)
                if fresh is None:
                    raise
            # Only PostgreSQL's driver finds a connection lost.
            self._conn, self._driver, attempt = fresh, driver_for(fresh, postgres=True), attempt + 1

    async def _open(self, run: Send[T], appended: Appended, *, alone: bool) -> T:
        """The one place a unit sends its scope: with BEGIN, local to its transaction; with a
        read alone, for the session when ``session_scope``, recorded once it succeeded."""
        session = alone and self._session_scope
        info = self._conn.info
        scope = scope_to_send(info, self.tenant_id, self._role, session=session) if self.postgres else None
        if not alone:
            return await run(self._driver, Ahead(True, scope, appended))
        if scope is None or not session:
            return await run(self._driver, None if scope is None else Ahead(False, scope))
        with changing_session_scope(info, (self.tenant_id, self._role)):
            return await run(self._driver, Ahead(False, scope))

    def _note(self, statement: Executable) -> None:
        # Prepared SELECTs lock nothing, and on PostgreSQL any statement through SQLAlchemy
        # (a SELECT ... FOR UPDATE included) runs in the unit's transaction.
        if not getattr(statement, "is_select", False):
            self._changed = True

    def _take_appended(self) -> Appended:
        appended, self._appended = self._appended, []
        return appended


async def _begin(driver: Driver, ahead: Ahead | None) -> None:
    assert ahead is not None, "a transaction begins with what travels ahead of it"
    await driver.begin(ahead)


def _plain(statement: Statement) -> Executable:
    return statement.statement if isinstance(statement, Prepared) else statement
