"""SQLite's fast path: prepared statements run on the sqlite3 connection under aiosqlite with
SQLAlchemy's own conversions, on the event loop's thread when they wait on no lock (reads,
and writes under the write lock a unit took at BEGIN), else in one hop to its thread."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import aiosqlite
import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lana_adapters.sql import SqlUnitOfWorkFactory
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.sqliteraw import sqlite_statement
from lana_adapters.sql.tables import customers
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


@contextmanager
def hops_counted() -> Iterator[list[str]]:
    """The name of every function sent to an aiosqlite connection's thread meanwhile."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        aiosqlite.Connection._execute = original  # type: ignore[method-assign]


async def test_a_customer_view_is_read_with_no_hop_and_its_values_converted(engine: AsyncEngine) -> None:
    admin = await make_tenant(kernel_on(engine, ManualClock(NOW)))
    stored = builders.customer(admin.tenant_id, NOW, name="Ada", email="ada@example.com")
    factory = SqlUnitOfWorkFactory(engine)
    async with factory(admin.tenant_id) as uow:
        await uow.customers.add(stored)
        await uow.commit()

    with hops_counted() as sent:
        async with factory(admin.tenant_id) as uow:
            view = await uow.customers.get_view(stored.id, date(2026, 1, 1))

    assert sent == []
    assert view is not None
    # UUIDs, the UTC instant to the microsecond, JSON tags and attributes come back as they went in.
    assert view.customer == stored
    assert view.customer.created_at.tzinfo is UTC


async def test_a_write_hops_only_to_begin_and_to_commit(engine: AsyncEngine) -> None:
    admin = await make_tenant(kernel_on(engine, ManualClock(NOW)))
    factory = SqlUnitOfWorkFactory(engine)
    customer = builders.customer(admin.tenant_id, NOW)
    async with factory(admin.tenant_id) as uow:
        await uow.customers.get(customer.id)  # the factory learns what the database offers

    with hops_counted() as sent:
        async with factory(admin.tenant_id) as uow:
            await uow.customers.add(customer)
            await uow.audit.append([builders.audit_entry(admin.tenant_id, customer.id, NOW)])
            await uow.commit()

    # BEGIN IMMEDIATE may wait for the write lock, COMMIT may checkpoint: only they leave
    # the event loop's thread; the customer and its audit entry wait on nothing.
    assert sent == ["_execute_fetchall", "commit"]
    async with factory(admin.tenant_id) as uow:
        assert await uow.customers.get(customer.id) == customer


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


async def test_an_engine_made_elsewhere_keeps_every_statement_on_the_connections_thread(
    engine: AsyncEngine,
) -> None:
    # Without check_same_thread=False and BEGIN IMMEDIATE, the loop's thread may not use it.
    elsewhere = create_async_engine(engine.url)
    try:
        admin = await make_tenant(kernel_on(engine, ManualClock(NOW)))
        factory = SqlUnitOfWorkFactory(elsewhere)
        async with factory(admin.tenant_id) as uow:
            await uow.customers.get(uuid4())  # the factory learns what the database offers
        with hops_counted() as sent:
            async with factory(admin.tenant_id) as uow:
                assert await uow.customers.get(uuid4()) is None
        assert sent[0] == "_execute_fetchall"  # the read, in the connection's thread
    finally:
        await elsewhere.dispose()


def test_a_statement_expanded_per_call_is_left_to_sqlalchemy(engine: AsyncEngine) -> None:
    listed = Prepared(select(customers.c.id).where(customers.c.id.in_(bindparam("ids", expanding=True))))
    fixed = Prepared(select(customers.c.id).where(customers.c.id == bindparam("id")))
    assert sqlite_statement(listed, engine.dialect) is None
    assert sqlite_statement(fixed, engine.dialect) is not None
