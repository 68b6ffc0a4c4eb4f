"""How a unit of work ends on SQLite: a write left uncommitted is undone and frees the write
lock, and a connection that died under the pool is dropped, never handed out again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql import SqlSettings, SqlUnitOfWorkFactory, create_engine_from
from lana_adapters.sql.tables import customers
from lana_core.memory import ManualClock
from tests.contract import builders
from tests.integration.sql.databases import kernel_on, sqlite_engine
from tests.support import make_tenant

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    async with sqlite_engine() as engine:
        yield engine


async def test_a_write_left_uncommitted_is_undone_and_the_next_writer_gets_in(engine: AsyncEngine) -> None:
    admin = await make_tenant(kernel_on(engine, ManualClock(NOW)))
    # Another engine on the file: a writer in another process, with a short busy timeout,
    # which a write lock left behind would make fail.
    url = engine.url.render_as_string(hide_password=False)
    other = create_engine_from(SqlSettings(url=url, busy_timeout_ms=500))
    try:
        async with SqlUnitOfWorkFactory(engine)(admin.tenant_id) as uow:
            await uow.customers.add(builders.customer(admin.tenant_id, NOW, name="Left Uncommitted"))
        async with SqlUnitOfWorkFactory(other)(admin.tenant_id) as uow:
            await uow.customers.add(builders.customer(admin.tenant_id, NOW, name="Next Writer"))
            await uow.commit()
        async with engine.connect() as conn:
            names = (await conn.execute(select(customers.c.name))).scalars().all()
    finally:
        await other.dispose()
    assert names == ["Next Writer"]


async def test_a_connection_closed_under_the_pool_is_replaced(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        await raw.driver_connection.close()  # type: ignore[union-attr]

    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(customers))).scalar_one() == 0
