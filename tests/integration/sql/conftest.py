"""Fixtures for the SQL adapter: engines on real SQLite files and a real PostgreSQL database.

Tests that need PostgreSQL are marked ``postgres`` and skip, naming the variable to set,
when ``LANA_TEST_POSTGRES_URL`` is unset (CI turns such skips into failures).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql import SqlSettings, create_engine_from
from lana_core.domain.tenancy import Actor
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from tests.integration.sql.databases import (
    kernel_on,
    postgres_database,
    postgres_engine,
    postgres_unavailable,
    sqlite_engine,
)
from tests.support import make_tenant

BOTH = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """This process's migrated PostgreSQL database; skips when no server is configured."""
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)
    return postgres_database()


@pytest.fixture
async def pg_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    async with postgres_engine() as engine:
        yield engine


@pytest.fixture
async def one_connection(postgres_url: str, pg_engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """An engine of one pooled connection (over the tables ``pg_engine`` emptied), so every
    unit of work shares its session."""
    engine = create_engine_from(SqlSettings(url=postgres_url, pool_size=1, max_overflow=0))
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def lite_engine() -> AsyncIterator[AsyncEngine]:
    async with sqlite_engine() as engine:
        yield engine


@pytest.fixture(params=BOTH)
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    """An engine on each database in turn, over empty migrated tables."""
    if request.param == "postgres":
        request.getfixturevalue("postgres_url")
        async with postgres_engine() as pg:
            yield pg
    else:
        async with sqlite_engine() as lite:
            yield lite


@pytest.fixture
def pg_kernel(pg_engine: AsyncEngine, clock: ManualClock) -> Kernel:
    return kernel_on(pg_engine, clock)


@pytest.fixture
async def pg_admin(pg_kernel: Kernel) -> Actor:
    return await make_tenant(pg_kernel)


@pytest.fixture
def kernel(engine: AsyncEngine, clock: ManualClock) -> Kernel:
    return kernel_on(engine, clock)


@pytest.fixture
async def admin(kernel: Kernel) -> Actor:
    return await make_tenant(kernel)
