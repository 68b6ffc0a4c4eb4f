"""Engines for the two supported databases, tuned for short transactions of one tenant.

Every engine the adapter uses comes from :func:`create_engine_from`. Its connections are in
autocommit mode, for the driver and for SQLAlchemy alike: the unit of work's driver begins
and ends its transactions (see :mod:`lana_adapters.sql.tx`). Statements run on the engine
directly (probes, tests, anything but a unit of work or the relay) get a transaction of
SQLAlchemy's own: on PostgreSQL it begins as the login role with no tenant (see
:func:`_begin_as_login_role`), on SQLite each statement is a transaction of its own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from attrs import frozen
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import PoolResetState

from lana_adapters.sql.settings import SqlSettings
from lana_adapters.sql.writers import WriteQueue, new_write_queue

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# Kept in a PostgreSQL connection's ``info``: the (tenant id, role) its session runs as,
# set by a unit's first read (see Tx). Absent: the login role's own, no tenant (a new
# connection's). While statements changing it are on their way it is unknown (see
# changing_session_scope). SQLAlchemy clears ``info`` with the connection it describes.
SESSION_SCOPE = "lana_session_scope"
UNSCOPED: tuple[UUID | None, str | None] = (None, None)
# Equal to no scope: every transaction of a session in this state states its own.
_UNKNOWN = ("unknown",)
# The execution option holding an engine's EngineOptions.
_OPTIONS = "lana_engine_options"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@frozen
class EngineOptions:
    """What every user of one engine shares: the database it runs on, whether units of work
    may leave their scope on PostgreSQL sessions (``SqlSettings.session_scope``), and on
    SQLite the queue of writers (see :mod:`lana_adapters.sql.writers`)."""

    postgres: bool
    session_scope: bool
    writers: WriteQueue | None


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


def options_of(engine: AsyncEngine) -> EngineOptions:
    """The options :func:`create_engine_from` gave ``engine``; raises ValueError for an engine
    made any other way (its connections would not be in autocommit mode)."""
    options = engine.get_execution_options().get(_OPTIONS)
    if not isinstance(options, EngineOptions):
        raise ValueError("the SQL adapter needs an engine made by lana_adapters.sql.create_engine_from")
    return options


_NEVER_BY_COUNT = 2**62


def _postgres_engine(url: URL, settings: SqlSettings) -> AsyncEngine:
    options = f"-c statement_timeout={settings.statement_timeout_ms} -c TimeZone=UTC"
    engine = create_async_engine(
        url,
        isolation_level="AUTOCOMMIT",
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
        execution_options={_OPTIONS: EngineOptions(True, settings.session_scope, None)},
    )
    event.listen(engine.sync_engine, "begin", _begin_as_login_role)
    return engine


def _begin_as_login_role(connection: Connection) -> None:
    """SQLAlchemy began a transaction of its own: the engine is used directly. It runs as the
    login role with no tenant, whatever a unit of work left on the session. Inside a
    transaction the unit's driver began (a unit's statements through SQLAlchemy) SQLAlchemy
    only learns of it, and nothing is sent."""
    from psycopg.pq import TransactionStatus

    driver: Any = connection.connection.driver_connection
    if driver.info.transaction_status == TransactionStatus.IDLE:
        connection.exec_driver_sql(f"BEGIN; {scope_statement(None, None)}")


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
        isolation_level="AUTOCOMMIT",
        # A connection going back to the pool is reset by _end_what_was_left_open instead.
        skip_autocommit_rollback=True,
        connect_args={"timeout": settings.busy_timeout_ms / 1000},
        execution_options={_OPTIONS: EngineOptions(False, False, writers)},
        # Bounded like PostgreSQL's: each connection is a thread, and a thread per concurrent
        # request costs more in switching than it gains in parallel reads.
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
    )
    configure_sqlite(engine.sync_engine, settings.busy_timeout_ms)
    event.listen(engine.sync_engine, "reset", _end_what_was_left_open)
    return engine


def _end_what_was_left_open(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
    """A SQLite connection goes back to the pool. SQLAlchemy's adapter would send ROLLBACK
    to the connection's thread, a hop for nothing after every unit of work; here a
    transaction is rolled back only if a failed unit left one open, and asking a connection
    that died raises, so the pool drops it instead of handing it out again."""
    if state.asyncio_safe and not state.terminate_only and dbapi_connection.driver_connection.in_transaction:
        dbapi_connection.rollback()


def create_sync_engine(url: str | URL, settings: SqlSettings | None = None) -> Engine:
    """A synchronous engine on the same database (for migrations): async drivers are swapped
    for their synchronous twins. On SQLite it is in autocommit mode: whoever needs a
    transaction sends BEGIN (the migrations send ``BEGIN IMMEDIATE``)."""
    parsed = make_url(url)
    if parsed.drivername == "sqlite+aiosqlite":
        parsed = parsed.set(drivername="sqlite")
    if parsed.get_backend_name() != SQLITE:
        return create_engine(parsed)
    busy_timeout_ms = (settings or SqlSettings()).busy_timeout_ms
    engine = create_engine(
        parsed, isolation_level="AUTOCOMMIT", connect_args={"timeout": busy_timeout_ms / 1000}
    )
    configure_sqlite(engine, busy_timeout_ms)
    return engine


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, enforced foreign keys and a busy timeout on every connection."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()
