"""SQLite's fast path: prepared statements run straight on the aiosqlite connection with
SQLAlchemy's own SQL and conversions, and read back exactly what was stored; a statement
SQLAlchemy must expand per call still runs, through SQLAlchemy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql import SqlUnitOfWorkFactory
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.tables import customers
from lana_adapters.sql.tx import Features, Tx
from lana_core.domain.queries import CustomerQuery
from lana_core.errors import Conflict
from lana_core.memory import ManualClock
from tests.contract import builders
from tests.integration.sql.databases import kernel_on, sqlite_engine
from tests.support import make_tenant

NOW = datetime(2026, 1, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    async with sqlite_engine() as engine:
        yield engine


async def test_a_customer_view_reads_back_every_value_as_stored(engine: AsyncEngine) -> None:
    admin = await make_tenant(kernel_on(engine, ManualClock(NOW)))
    stored = builders.customer(admin.tenant_id, NOW, name="Ada", email="ada@example.com")
    factory = SqlUnitOfWorkFactory(engine)
    async with factory(admin.tenant_id) as uow:
        await uow.customers.add(stored)
        await uow.commit()

    async with factory(admin.tenant_id) as uow:
        view = await uow.customers.get_view(stored.id, date(2026, 1, 1))

    assert view is not None
    # UUIDs, the UTC instant to the microsecond, JSON tags and attributes come back as they went in.
    assert view.customer == stored
    assert view.customer.created_at.tzinfo is UTC


async def test_a_duplicate_key_on_the_fast_path_is_a_conflict_and_keeps_nothing(engine: AsyncEngine) -> None:
    admin = await make_tenant(kernel_on(engine, ManualClock(NOW)))
    factory = SqlUnitOfWorkFactory(engine)
    first = builders.customer(admin.tenant_id, NOW, name="First")
    async with factory(admin.tenant_id) as uow:
        await uow.customers.add(first)
        await uow.commit()

    async with factory(admin.tenant_id) as uow:
        await uow.customers.add(builders.customer(admin.tenant_id, NOW, name="Other"))
        with pytest.raises(Conflict):
            await uow.customers.add(first)  # the same id again

    async with factory(admin.tenant_id) as uow:
        names = sorted(c.name for c in (await uow.customers.list(CustomerQuery())).items)
    assert names == ["First"]


async def test_a_prepared_statement_expanded_per_call_reads_its_rows(engine: AsyncEngine) -> None:
    admin = await make_tenant(kernel_on(engine, ManualClock(NOW)))
    ada, grace, alan = (
        builders.customer(admin.tenant_id, NOW, name=name) for name in ("Ada", "Grace", "Alan")
    )
    async with SqlUnitOfWorkFactory(engine)(admin.tenant_id) as uow:
        await uow.customers.add_many([ada, grace, alan])
        await uow.commit()
    listed = Prepared(select(customers.c.name).where(customers.c.id.in_(bindparam("ids", expanding=True))))

    async with engine.connect() as conn:
        tx = Tx(conn, admin.tenant_id, Features(postgres=False, fts=False), None)
        found = await tx.rows(listed, {"ids": [ada.id, alan.id]})
        await tx.leave()

    assert sorted(row.name for row in found) == ["Ada", "Alan"]
