"""Real databases for the SQL adapter's tests: a migrated PostgreSQL database per test process
and a migrated SQLite file per test, plus the adapter sets the contract suite runs on them.

PostgreSQL comes from ``LANA_TEST_POSTGRES_URL`` (a superuser on a throwaway server); each
process creates ``lana_test_<hex>`` next to the database named there and drops it at exit,
so parallel runs never share tables.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql import (
    SqlOutboxRelayStore,
    SqlSettings,
    SqlUnitOfWorkFactory,
    create_engine_from,
    migrate,
)
from lana_core.memory import InMemoryCache, ManualClock
from lana_core.system import TimeOrderedIds
from lana_core.usecases._base import Kernel

POSTGRES_ENV = "LANA_TEST_POSTGRES_URL"
POSTGRES_MISSING = f"set {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) to run"
# Children before parents, so deleting in this order never trips a foreign key.
ALL_TABLES = (
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_subscriptions",
    "analytics_events",
    "outbox",
    "audit_log",
    "insights",
    "interactions",
    "tasks",
    "projects",
    "customers",
    "sessions",
    "users",
    "tenants",
)

_state: dict[str, str] = {}


def postgres_unavailable() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    return None if os.environ.get(POSTGRES_ENV) else POSTGRES_MISSING


def postgres_database() -> str:
    """The URL of this process's migrated PostgreSQL database, created on first use."""
    if "postgres" not in _state:
        server = make_url(os.environ[POSTGRES_ENV])
        name = f"lana_test_{secrets.token_hex(6)}"
        _admin(f'CREATE DATABASE "{name}"')
        atexit.register(_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        url = server.set(database=name).render_as_string(hide_password=False)
        migrate(url)
        _state["postgres"] = url
    return _state["postgres"]


def fresh_postgres_database() -> str:
    """A new, unmigrated PostgreSQL database for tests that run migrations themselves."""
    server = make_url(os.environ[POSTGRES_ENV])
    name = f"lana_test_{secrets.token_hex(6)}"
    _admin(f'CREATE DATABASE "{name}"')
    atexit.register(_admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return server.set(database=name).render_as_string(hide_password=False)


def sqlite_database(directory: Path) -> str:
    """A migrated SQLite file in ``directory``: a copy of one migrated once per process."""
    if "sqlite" not in _state:
        template = Path(tempfile.mkdtemp(prefix="lana_sqlite_")) / "template.db"
        atexit.register(shutil.rmtree, template.parent, True)
        migrate(f"sqlite+aiosqlite:///{template}")
        _state["sqlite"] = str(template)
    target = directory / "lana.db"
    shutil.copyfile(_state["sqlite"], target)
    return f"sqlite+aiosqlite:///{target}"


async def empty_tables(engine: AsyncEngine) -> None:
    """Delete every row (as the connecting superuser, so row-level security hides none).

    DELETE beats TRUNCATE on the few rows a test leaves: TRUNCATE rebuilds every index file.
    """
    async with engine.begin() as conn:
        for table in ALL_TABLES:
            await conn.execute(text(f"DELETE FROM {table}"))


def _admin(statement: str) -> None:
    server = make_url(os.environ[POSTGRES_ENV]).set(drivername="postgresql")
    with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(statement.encode())


def kernel_on(engine: AsyncEngine, clock: ManualClock) -> Kernel:
    return Kernel(uow=SqlUnitOfWorkFactory(engine), clock=clock, ids=TimeOrderedIds(), cache=InMemoryCache())


@asynccontextmanager
async def sqlite_engine() -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh migrated SQLite file, removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="lana_sqlite_"))
    engine = create_engine_from(SqlSettings(url=sqlite_database(directory)))
    try:
        yield engine
    finally:
        await engine.dispose()
        shutil.rmtree(directory, ignore_errors=True)


@asynccontextmanager
async def postgres_engine() -> AsyncIterator[AsyncEngine]:
    """An engine on this process's PostgreSQL database, emptied first."""
    engine = create_engine_from(SqlSettings(url=postgres_database(), pool_size=5, max_overflow=15))
    try:
        await empty_tables(engine)
        yield engine
    finally:
        await engine.dispose()


def relay_on(engine: AsyncEngine, clock: ManualClock) -> SqlOutboxRelayStore:
    return SqlOutboxRelayStore(engine, clock)
