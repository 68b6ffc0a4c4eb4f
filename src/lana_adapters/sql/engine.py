"""Engines for the two supported databases, tuned for short transactions of one tenant."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lana_adapters.sql.settings import SqlSettings

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# Set in a SQLite connection's ``info`` to make its next transaction take the write lock at once.
BEGIN_IMMEDIATE = "lana_begin_immediate"


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


def _postgres_engine(url: URL, settings: SqlSettings) -> AsyncEngine:
    options = f"-c statement_timeout={settings.statement_timeout_ms} -c TimeZone=UTC"
    return create_async_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout_seconds,
        # A connection broken by a server restart is replaced on checkout instead of failing a request.
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            # libpq counts whole seconds and treats anything below 2 as 2.
            "connect_timeout": max(2, math.ceil(settings.connect_timeout_seconds)),
            "options": options,
        },
    )


def _sqlite_engine(url: URL, settings: SqlSettings) -> AsyncEngine:
    engine = create_async_engine(url, connect_args={"timeout": settings.busy_timeout_ms / 1000})
    configure_sqlite(engine.sync_engine, settings.busy_timeout_ms)
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

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.info.pop(BEGIN_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
