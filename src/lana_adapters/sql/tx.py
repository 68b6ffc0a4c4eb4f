"""One unit of work's connection: runs statements in the tenant's transaction, translating errors.

Both databases give each statement the newest committed data, as PostgreSQL's READ
COMMITTED does: version checks and unique keys are decided by the write statements
themselves. On SQLite the reads before a unit's first write run without BEGIN, each a
transaction of its own, so no snapshot is held from the first read; the first write
begins the transaction holding the write lock, so a writer that committed meanwhile is
seen instead of failing the snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias
from uuid import UUID

from attrs import frozen
from sqlalchemy import Executable, column, text
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection

from lana_adapters.sql.engine import (
    BEGIN_IMMEDIATE,
    READS_ALONE,
    SCOPE,
    changing_session_scope,
    made_by_create_engine_from,
    scope_to_send,
)
from lana_adapters.sql.errors import DRIVER_ERRORS, ConnectionLost, is_connection_lost, translate
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.sqliteraw import SqliteRunner, SqliteStatement, sqlite_statement
from lana_adapters.sql.writers import WriteQueue
from lana_core.errors import LanaError, Unavailable

if TYPE_CHECKING:
    from lana_adapters.sql.pgraw import PgRunner

# A row read by column name: a SQLAlchemy Row, or a psycopg named tuple on the fast path.
AnyRow: TypeAlias = Any
# Hands a unit of work's transaction a fresh connection in place of one found lost.
Reconnect = Callable[[], Awaitable[AsyncConnection]]
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
Statement = Executable | Prepared


# Typed as SELECTs (``.columns``): they change settings local to the transaction, not data,
# so a unit that ran them has still changed nothing (see :meth:`Tx.leave`).
_SORTING_OFF = text(
    "SELECT set_config('enable_sort', 'off', true), set_config('enable_incremental_sort', 'off', true)"
).columns(column("sort"), column("incremental_sort"))
_SORTING_BACK = text(
    "SELECT set_config(name, reset_val, true) FROM pg_settings"
    " WHERE name IN ('enable_sort', 'enable_incremental_sort')"
).columns(column("setting"))


@frozen
class Features:
    """What the connected database offers, learnt once per engine."""

    postgres: bool
    fts: bool


@frozen(kw_only=True)
class Retries:
    """How a unit of work gets a usable connection: a connect that fails fast, or a pooled
    connection found dead at BEGIN, is tried again up to ``attempts`` times in all, pausing
    ``first_pause_seconds``, then twice as long each time. A connect failing slower than
    ``slow_failure_seconds`` has waited out its own timeout and is not tried again. Nothing
    has run in the transaction then, so trying again is always safe; a failure later in a
    unit of work is the caller's to retry (see docs/persistence.md)."""

    attempts: int = 3
    first_pause_seconds: float = 0.05
    slow_failure_seconds: float = 1.0

    def pause(self, attempt: int) -> float:
        return self.first_pause_seconds * 2.0 ** (attempt - 1)


class Tx:
    """Statements of one tenant's unit of work; a transaction begins (and is scoped) lazily.

    On PostgreSQL the prepared reads run before the unit first changes anything are each
    an implicit transaction of one round trip (scope and statement); the first write, or
    any statement through SQLAlchemy, begins the unit's transaction. With
    ``session_scope`` such a read sets the tenant and role for the session, not only its
    transaction, and records them in the connection's ``info`` only once it succeeded;
    until then the record says the scope is unknown, so after any failure the next
    transaction on the connection states its own (see
    :func:`~lana_adapters.sql.engine.changing_session_scope`). The next unit of the same
    tenant on the connection then sends its reads alone and its BEGIN without a scope.
    Every transaction that needs another scope states it (see
    :func:`~lana_adapters.sql.engine.scope_to_send`).

    On PostgreSQL, a BEGIN that finds the connection lost (a pooled connection the server
    dropped) is tried again on a fresh one from ``reconnect``, a few times: nothing has run
    in the transaction yet, so no work is repeated.
    """

    __slots__ = (
        "_appended",
        "_changed",
        "_conn",
        "_queue",
        "_reconnect",
        "_retries",
        "_role",
        "_runner",
        "_session_scope",
        "_writing",
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
        retries: Retries | None = None,
    ) -> None:
        self._conn = conn
        self._session_scope = session_scope
        self._role = role
        self._queue = queue
        self._reconnect = reconnect
        self._retries = retries or Retries()
        self._writing = False
        # Whether any statement but a SELECT ran: such a transaction must end in ROLLBACK.
        self._changed = False
        self._runner: PgRunner | None = None
        self._appended: list[tuple[Prepared, Params]] = []
        self.features = features
        self.tenant_id = tenant_id

    @property
    def postgres(self) -> bool:
        return self.features.postgres

    async def rows(self, statement: Statement, params: Mapping[str, Any] | None = None) -> Sequence[AnyRow]:
        """Every row ``statement`` returns; raises the core error matching any driver failure."""
        if isinstance(statement, Prepared):
            if self.features.postgres:
                rows: Sequence[AnyRow] = await (await self._fast(statement, params)).fetchall()
                return rows
            if (found := await self._sqlite_rows(statement, params)) is not None:
                return found
        return (await self._execute(_plain(statement), params)).all()

    async def rows_in_index_order(
        self, statement: Statement, params: Mapping[str, Any] | None = None
    ) -> Sequence[AnyRow]:
        """:meth:`rows`, planned to read rows in the order of an index rather than sort them:
        for a filter the caller knows many rows pass. Under row-level security PostgreSQL
        hides column statistics from operators that are not leakproof (LIKE among them), so
        it guesses such a filter keeps a handful of rows and sorts every match instead of
        walking an index until a page is full."""
        if not self.features.postgres:
            return await self.rows(statement, params)
        await self._execute(_SORTING_OFF, None)
        found = await self.rows(statement, params)
        # On failure the transaction is rolled back, and the setting with it.
        await self._execute(_SORTING_BACK, None)
        return found

    async def first(self, statement: Statement, params: Mapping[str, Any] | None = None) -> AnyRow | None:
        if isinstance(statement, Prepared):
            if self.features.postgres:
                return await (await self._fast(statement, params)).fetchone()
            if (found := await self._sqlite_rows(statement, params)) is not None:
                return found[0] if found else None
        return (await self._execute(_plain(statement), params)).first()

    async def scalar(self, statement: Statement, params: Mapping[str, Any] | None = None) -> Any:
        row = await self.first(statement, params)
        return None if row is None else row[0]

    async def write(self, statement: Statement, params: Params = None) -> int:
        """Run an INSERT, UPDATE or DELETE (once per mapping of a list); the rows it touched."""
        if isinstance(statement, Prepared):
            if self.features.postgres:
                count: int = (await self._fast(statement, params)).rowcount
                return count
            if params is not None and (lite := await self._lite(statement)):
                return await SqliteRunner(self._conn).write(
                    lite, params, lock_free=self._lock_free(statement)
                )
        return (await self._execute(_plain(statement), params)).rowcount

    async def insert(
        self, statement: Statement, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> None:
        """:meth:`write` for a statement whose row count nobody needs: on SQLite one row (or a
        list of one) then asks the driver for no count, which spares a hop."""
        if not self.features.postgres and isinstance(statement, Prepared):
            one = params if isinstance(params, Mapping) else params[0] if len(params) == 1 else None
            if one is not None and await self._sqlite_rows(statement, one) is not None:
                return
        await self.write(statement, params)

    async def append(self, statement: Statement, params: Params) -> None:
        """Insert rows into an append-only log (outbox, audit, analytics) that nobody reads back
        in this unit of work and whose row count nobody needs.

        On PostgreSQL the rows travel with the unit's next statement or with its COMMIT, in
        one round trip (a psycopg pipeline); a failure is then reported by that statement or
        by :meth:`commit`. Elsewhere they are written at once.
        """
        if params is not None and not params:
            return
        self._changed = True
        if isinstance(statement, Prepared) and self.features.postgres:
            self._appended.append((statement, params))
            return
        await (self.write(statement) if params is None else self.insert(statement, params))

    async def commit(self) -> None:
        """Make the transaction durable; raises Conflict or Unavailable as the driver reports."""
        try:
            ended_by_driver = bool(self._appended)
            if ended_by_driver:
                # COMMIT joins the appended rows' round trip.
                await (await self._runner_in_transaction()).run_pipelined(self._take_appended(), commit=True)
            if ended_by_driver and made_by_create_engine_from(self._conn.dialect):
                # SQLAlchemy only has to learn that the transaction ended: no I/O, no greenlet.
                self._sync().commit()
            else:
                await self._conn.commit()  # sends nothing when the driver ended it
        except DRIVER_ERRORS as error:
            raise translate(error) from error
        finally:
            self.done_writing()

    async def rollback(self) -> None:
        self._appended.clear()
        try:
            await self._conn.rollback()
        except DRIVER_ERRORS as error:
            raise translate(error) from error
        finally:
            self.done_writing()

    async def leave(self) -> None:
        """End the transaction, keeping nothing that was not committed.

        On PostgreSQL a healthy transaction that ran only SELECTs ends with COMMIT, which
        for it does what ROLLBACK does: psycopg forgets every prepared statement of the
        connection on ROLLBACK, so the next units on it would parse and plan their
        statements again, which costs the server several times the prepared statement's work.
        Raises the driver's error; the caller then drops the connection.
        """
        self._appended.clear()
        try:
            if not self._conn.in_transaction():
                return  # nothing began, or every read was a transaction of its own
            if self.features.postgres and not self._changed and self._driver_in_healthy_transaction():
                await self._pg_runner().commit()
            else:
                await self._conn.rollback()
        finally:
            self.done_writing()

    def _driver_in_healthy_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        driver: Any = self._conn.sync_connection.connection.driver_connection  # type: ignore[union-attr]
        return bool(driver.info.transaction_status == TransactionStatus.INTRANS)

    def done_writing(self) -> None:
        """The transaction ended: let the next writer of this process in."""
        if self._writing and self._queue is not None:
            self._queue.leave()
        self._writing = False

    async def _execute(self, statement: Executable, params: Params) -> CursorResult[Any]:
        try:
            await self._ready_for(statement)
            return await self._conn.execute(statement, params)
        except DRIVER_ERRORS as error:
            raise translate(error) from error

    async def _ready_for(self, statement: Executable) -> None:
        """Note what ``statement`` does and begin the transaction it runs in: on SQLite a
        write first takes the write lock; on PostgreSQL the rows appended so far go first."""
        self._note(statement)
        if not self._writing and not self.features.postgres and getattr(statement, "is_dml", False):
            await self._take_write_lock()
        if self._appended:
            await (await self._runner_in_transaction()).run_pipelined(self._take_appended())
        if not self._conn.in_transaction():
            await self._begin()

    async def _sqlite_rows(self, prepared: Prepared, params: Mapping[str, Any] | None) -> list[AnyRow] | None:
        """On SQLite, the rows ``prepared`` returns, run on the driver directly (none for a
        write); None when SQLAlchemy must run it."""
        lite = await self._lite(prepared)
        if lite is None:
            return None
        return await SqliteRunner(self._conn).rows(lite, params, lock_free=self._lock_free(prepared))

    def _lock_free(self, prepared: Prepared) -> bool:
        """Whether ``prepared`` may run on the event loop's thread on SQLite: it waits on no
        lock and takes microseconds. Reads by key wait on none (WAL readers never do);
        writes of one row neither once the unit holds the write lock, taken with BEGIN
        IMMEDIATE on engines made by create_engine_from. Aggregates stay off the loop."""
        if not made_by_create_engine_from(self._conn.dialect):
            return False
        return self._writing if getattr(prepared.statement, "is_dml", False) else prepared.by_key

    async def _lite(self, prepared: Prepared) -> SqliteStatement | None:
        """On SQLite, ``prepared`` compiled for the aiosqlite fast path with its transaction
        begun; None when SQLAlchemy must run it (see :mod:`lana_adapters.sql.sqliteraw`)."""
        lite = sqlite_statement(prepared, self._conn.dialect)
        if lite is not None:
            try:
                await self._ready_for(prepared.statement)
            except DRIVER_ERRORS as error:
                raise translate(error) from error
        return lite

    async def _fast(self, prepared: Prepared, params: Params) -> Any:
        self._note(prepared.statement)
        if not self._conn.in_transaction():
            # Until the unit first changes something, each read is a transaction of its own,
            # which under READ COMMITTED sees what one long transaction would: the newest
            # committed rows. It then needs neither BEGIN nor an ending round trip.
            return await self._begin_with(prepared, params, explicit=self._changed)
        runner = await self._runner_in_transaction()
        if self._appended:
            await runner.run_pipelined(self._take_appended())
        return await runner.run(prepared, params)

    async def _begin_with(self, prepared: Prepared, params: Params, *, explicit: bool) -> Any:
        """Run the transaction's first statement in BEGIN's round trip (with its scope and the
        rows appended so far); a connection found dead is replaced as :meth:`_begin` does.

        Not ``explicit``: the statement runs as an implicit transaction, over when it is
        answered, and the unit stays outside a transaction. Its scope is then the
        session's: set once, the connection's later units of this tenant send a read alone,
        with no pipeline around it.
        """
        appended = self._take_appended()
        attempts = self._retries.attempts
        for attempt in range(1, attempts + 1):
            try:
                return await self._first_round_trip(appended, prepared, params, explicit=explicit)
            except ConnectionLost:
                if self._reconnect is None or attempt == attempts:
                    raise
            except LanaError:
                if explicit:
                    # SQLAlchemy then rolls the aborted transaction back; the error is the one to tell.
                    with contextlib.suppress(*DRIVER_ERRORS):
                        await self._conn.begin()
                raise
            await asyncio.sleep(self._retries.pause(attempt))
            self._conn = await self._reconnect()
            self._runner = None
        raise AssertionError("unreachable")

    async def _first_round_trip(
        self, appended: list[tuple[Prepared, Params]], prepared: Prepared, params: Params, *, explicit: bool
    ) -> Any:
        on_session = self._session_scope and not explicit
        # Asked on each attempt: a fresh connection's session has no scope yet.
        scope = scope_to_send(self._conn.info, self.tenant_id, self._role, session=on_session)
        run = self._pg_runner().begin_and_run(scope, appended, prepared, params, explicit=explicit)
        if on_session and scope is not None:
            with changing_session_scope(self._conn.info, (self.tenant_id, self._role)):
                cursor = await run
        else:
            cursor = await run
        if explicit:
            self._adopt_driver_transaction()
        return cursor

    def _adopt_driver_transaction(self) -> None:
        """SQLAlchemy takes over the transaction psycopg began. Its begin hook then sends
        nothing (see :func:`~lana_adapters.sql.engine.configure_postgres`), so the begin runs
        synchronously, sparing a greenlet per unit that writes."""
        self._sync().begin()

    def _sync(self) -> Connection:
        sync = self._conn.sync_connection
        assert sync is not None, "a unit of work's connection is open while it runs"
        return sync

    def _note(self, statement: Executable) -> None:
        # A SELECT ... FOR UPDATE keeps its locks only inside the unit's transaction.
        reads = getattr(statement, "is_select", False) and getattr(statement, "_for_update_arg", None) is None
        self._changed = self._changed or not reads

    def _pg_runner(self) -> PgRunner:
        if self._runner is None:
            from lana_adapters.sql.pgraw import PgRunner

            self._runner = PgRunner(self._conn)
        return self._runner

    async def _runner_in_transaction(self) -> PgRunner:
        """The psycopg runner of this unit's connection, its transaction begun."""
        if not self._conn.in_transaction():
            try:
                await self._begin()
            except DRIVER_ERRORS as error:
                raise translate(error) from error
        return self._pg_runner()

    def _take_appended(self) -> list[tuple[Prepared, Params]]:
        appended, self._appended = self._appended, []
        return appended

    async def _take_write_lock(self) -> None:
        if self._conn.in_transaction():
            # Only reads so far: nothing is lost, and no snapshot is held while queueing
            # (one would keep WAL checkpoints from finishing).
            await self._conn.rollback()
        if self._queue is not None:
            await self._queue.enter()
        self._writing = True
        self._conn.info[BEGIN_IMMEDIATE] = True

    async def _begin(self) -> None:
        attempts = self._retries.attempts
        for attempt in range(1, attempts + 1):
            try:
                await self._begin_once()
                return
            except DRIVER_ERRORS as error:
                retry = self.features.postgres and self._reconnect is not None and is_connection_lost(error)
                if not retry or attempt == attempts:
                    raise
            await asyncio.sleep(self._retries.pause(attempt))
            assert self._reconnect is not None
            self._conn = await self._reconnect()
            self._runner = None

    async def _begin_once(self) -> None:
        if not self.features.postgres:
            if not self._changed:
                # Reads before the first write run without BEGIN, each a transaction of its
                # own; the first write ends this one and begins holding the write lock.
                self._conn.info[READS_ALONE] = True
            try:
                await self._conn.begin()
            finally:
                self._conn.info.pop(READS_ALONE, None)  # never left for the connection's next user
            return
        # The tenant row-level security checks and the role the transaction runs as travel
        # with BEGIN, local to the transaction, unless the session runs as them already.
        self._conn.info[SCOPE] = (self.tenant_id, self._role)
        try:
            await self._conn.begin()
        except DRIVER_ERRORS as error:
            if translate(error).code == Unavailable.code:
                raise
            raise Unavailable(f"cannot run as role {self._role!r}; has the schema been migrated?") from error


def _plain(statement: Statement) -> Executable:
    return statement.statement if isinstance(statement, Prepared) else statement
