"""Engines for the two supported databases, tuned for short transactions of one tenant."""

from __future__ import annotations

import math
import re
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Dialect, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.util import await_only

from lana_adapters.sql.settings import SqlSettings
from lana_adapters.sql.writers import WRITERS, new_write_queue

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# Set in a SQLite connection's ``info`` to make its next transaction take the write lock at once.
BEGIN_IMMEDIATE = "lana_begin_immediate"
# Set in a SQLite connection's ``info`` to send no BEGIN for its next transaction: until
# it writes, each statement is a transaction of its own (SQLite's autocommit mode).
READS_ALONE = "lana_reads_alone"
# Set in a PostgreSQL connection's ``info`` to (tenant id or None, role or None): its next
# transaction begins scoped to them.
SCOPE = "lana_scope"
# Kept in a PostgreSQL connection's ``info``: the (tenant id, role) its session runs as,
# set by a unit's first read (see Tx). Absent: the login role's own, no tenant (a new
# connection's). While statements changing it are on their way it is unknown (see
# changing_session_scope). SQLAlchemy clears ``info`` with the connection it describes.
SESSION_SCOPE = "lana_session_scope"
UNSCOPED: tuple[UUID | None, str | None] = (None, None)
# Equal to no scope: every transaction of a session in this state states its own.
_UNKNOWN = ("unknown",)
# An execution option of an engine whose units of work may leave their scope on sessions
# (``SqlSettings.session_scope``); engines made elsewhere never do.
KEEPS_SESSION_SCOPE = "lana_keeps_session_scope"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def create_engine_from(settings: SqlSettings) -> AsyncEngine:
    """An async engine for ``settings.url`` (``sqlite+aiosqlite`` or ``postgresql+psycopg``).

    Raises ValueError for any other database.
    """
    url = make_url(settings.url)
    backend = url.get_backend_name()
    if backend == SQLITE:
        return _sqlite_engine(url, settings)
    if backend == POSTGRESQL:
        return _postgres_engine(url, settings)
    raise ValueError(f"unsupported database {backend!r}: use sqlite+aiosqlite or postgresql+psycopg")


_NEVER_BY_COUNT = 2**62


def _postgres_engine(url: URL, settings: SqlSettings) -> AsyncEngine:
    options = f"-c statement_timeout={settings.statement_timeout_ms} -c TimeZone=UTC"
    engine = create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout_seconds,
        # A connection broken by a server restart is replaced on checkout instead of failing a request.
        pool_pre_ping=settings.pool_pre_ping,
        pool_recycle=1800,
        connect_args={
            # libpq counts whole seconds and treats anything below 2 as 2.
            "connect_timeout": max(2, math.ceil(settings.connect_timeout_seconds)),
            "options": options,
            # Lists and searches are planned for their actual values (a generic plan picks
            # one index for every search text): psycopg never prepares a statement for being
            # run often. The fixed hot statements ask to be prepared (``Prepared``); None
            # here would refuse them too.
            "prepare_threshold": _NEVER_BY_COUNT,
        },
        execution_options={KEEPS_SESSION_SCOPE: settings.session_scope},
    )
    configure_postgres(engine.sync_engine)
    _MADE_HERE.add(engine.dialect)
    return engine


# Dialects of the engines create_engine_from made. On PostgreSQL they end a transaction
# psycopg already ended without calling psycopg (see _end_only_what_began); on SQLite their
# connections may be used from the event loop's thread, and a unit's write transaction
# holds the write lock from its BEGIN IMMEDIATE.
_MADE_HERE: weakref.WeakSet[Dialect] = weakref.WeakSet()


def made_by_create_engine_from(dialect: Dialect) -> bool:
    """Whether ``dialect`` is that of an engine :func:`create_engine_from` made, tuned as
    the unit of work's fast paths expect (an engine made elsewhere runs without them)."""
    return dialect in _MADE_HERE


def configure_postgres(engine: Engine) -> None:
    """Begin each transaction ourselves, in the same round trip as its scope: the driver
    runs in autocommit mode, and BEGIN travels with the ``set_config`` calls."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.autocommit = True

    _end_only_what_began(engine.dialect)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        wanted = connection.info.pop(SCOPE, UNSCOPED)
        if _begun_by_the_driver(connection):
            return  # in the round trip of its first statement (see PgRunner.begin_and_run)
        scope = scope_to_send(connection.info, *wanted)
        connection.exec_driver_sql("BEGIN" if scope is None else f"BEGIN; {scope}")


def _begun_by_the_driver(connection: Connection) -> bool:
    return _driver_in_transaction(connection.connection.driver_connection)


def _driver_in_transaction(driver: Any) -> bool:
    from psycopg.pq import TransactionStatus

    return bool(driver.info.transaction_status != TransactionStatus.IDLE)


def _end_only_what_began(dialect: Dialect) -> None:
    """Make ``dialect`` reach psycopg's commit and rollback only when psycopg holds a
    transaction (or has lost its connection, for the driver to report).

    psycopg itself sends nothing for either on an idle connection, but SQLAlchemy's async
    adapter reaches it through a greenlet. Checked here first, a transaction whose COMMIT
    travelled in its last round trip (see ``Tx.commit``) is ended in SQLAlchemy with no
    greenlet, on engines :func:`made_by_create_engine_from`.
    """
    commit, roll_back = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        if _driver_in_transaction(dbapi_connection.driver_connection):
            commit(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        if _driver_in_transaction(dbapi_connection.driver_connection):
            roll_back(dbapi_connection)

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


@contextmanager
def changing_session_scope(info: dict[Any, Any], scope: tuple[UUID | None, str | None]) -> Iterator[None]:
    """Wrap the statements that set the session's scope to ``scope``. Until they succeed the
    session's scope is unknown: a failure may leave the old scope, the new one, or part of
    either (the driver may refuse a value after the scope was sent), so every transaction
    states its own meanwhile. Only their success records ``scope``."""
    info[SESSION_SCOPE] = _UNKNOWN
    yield
    info[SESSION_SCOPE] = scope


def scope_to_send(
    info: dict[Any, Any], tenant_id: UUID | None, role: str | None, *, session: bool = False
) -> str | None:
    """The ``SELECT`` scoping a transaction (or, with ``session``, the whole session) of the
    connection whose ``info`` is given to ``tenant_id`` and ``role``; None when its session
    runs as them already. Every transaction states its scope unless so: one whose tenant
    and role are None resets what an earlier unit left on the session."""
    if info.get(SESSION_SCOPE, UNSCOPED) == (tenant_id, role):
        return None
    return scope_statement(tenant_id, role, session=session)


def scope_statement(tenant_id: UUID | None, role: str | None, *, session: bool = False) -> str:
    """The ``SELECT`` setting the tenant and the role of the transaction, or with
    ``session`` of the session; None for either means none (the login role's own).

    Both are inlined (it travels in BEGIN's simple query, which takes no parameters): a
    UUID renders as hex and dashes only, and role names are checked to be plain
    identifiers. Raises ValueError.
    """
    tenant = "" if tenant_id is None else str(UUID(str(tenant_id)))
    if role is not None and not _ROLE_NAME.match(role):
        raise ValueError(f"role name {role!r} must be a lower-case SQL identifier")
    local = "false" if session else "true"
    return (
        f"SELECT set_config('app.tenant_id', '{tenant}', {local}),"
        f" set_config('role', '{role or 'none'}', {local})"
    )


def _sqlite_engine(url: URL, settings: SqlSettings) -> AsyncEngine:
    # Every user of the engine (units of work, the outbox relay) joins one queue of writers.
    writers = new_write_queue(url, settings.busy_timeout_ms / 1000)
    engine = create_async_engine(
        url,
        # The unit of work runs statements that cannot wait on a lock on the event loop's
        # thread, beside the aiosqlite thread that owns the connection (see sqliteraw).
        connect_args={"timeout": settings.busy_timeout_ms / 1000, "check_same_thread": False},
        execution_options={WRITERS: writers},
        # Bounded like PostgreSQL's: each connection is a thread, and a thread per concurrent
        # request costs more in switching than it gains in parallel reads.
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
    )
    configure_sqlite(engine.sync_engine, settings.busy_timeout_ms)
    _MADE_HERE.add(engine.dialect)
    return engine


def create_sync_engine(url: str | URL, settings: SqlSettings | None = None) -> Engine:
    """A synchronous engine on the same database (for migrations): async drivers are swapped
    for their synchronous twins."""
    parsed = make_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        parsed = parsed.set(drivername="sqlite")
    if parsed.get_backend_name() != SQLITE:
        return create_engine(parsed)
    busy_timeout_ms = (settings or SqlSettings()).busy_timeout_ms
    engine = create_engine(parsed, connect_args={"timeout": busy_timeout_ms / 1000})
    configure_sqlite(engine, busy_timeout_ms)
    return engine


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, enforced foreign keys and a busy timeout on every connection; transactions begun
    by us (deferred, or holding the write lock when asked)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling would defer BEGIN; we issue it ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    _rollback_only_what_began(engine.dialect)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.info.pop(BEGIN_IMMEDIATE, False)
        if connection.info.pop(READS_ALONE, False) and not immediate:
            return
        _send_alone(connection, "BEGIN IMMEDIATE" if immediate else "BEGIN")


def _send_alone(connection: Connection, sql: str) -> None:
    """Run ``sql`` (no parameters, no rows) on SQLite's driver: on aiosqlite one hop to the
    connection's thread, where SQLAlchemy's cursor takes three (cursor, execute, close)."""
    driver: Any = connection.connection.driver_connection
    if isinstance(driver, sqlite3.Connection):  # the synchronous engine (migrations)
        driver.execute(sql)
    else:
        await_only(driver.execute_fetchall(sql))


def _rollback_only_what_began(dialect: Dialect) -> None:
    """Make ``dialect`` send ROLLBACK only when SQLite holds a transaction.

    Reads run without BEGIN, yet a unit's end and the pool's return each ask the driver
    to roll back: two no-ops in SQLite, but each a hop to the connection's aiosqlite
    thread and back (a third of the hops of a get-customer). SQLAlchemy's own
    ``skip_autocommit_rollback`` cannot tell: the driver is in autocommit mode even
    inside the transactions we begin.
    """
    roll_back = dialect.do_rollback

    def do_rollback(dbapi_connection: Any) -> None:
        # sqlite3's and aiosqlite's connections both say whether a transaction is open,
        # without a hop; the pool's proxy hands the attribute through. A closed one
        # raises, as its rollback did: the pool then drops it.
        if dbapi_connection.driver_connection.in_transaction:
            roll_back(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
