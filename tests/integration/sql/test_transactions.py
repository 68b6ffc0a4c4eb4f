"""A unit of work's transaction on both databases. Rows it appends to its logs (outbox,
audit) travel with its next statement or its COMMIT: they are kept only by the commit, and
a row the database refuses fails the commit and keeps nothing of the unit. Only engines
made by create_engine_from, whose connections the unit's driver alone begins and ends
transactions on, are accepted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lana_adapters.sql import SqlOutboxRelayStore, SqlUnitOfWorkFactory
from lana_adapters.sql.tables import audit_log, customers, outbox
from lana_core.domain.tenancy import Actor
from lana_core.errors import Conflict
from lana_core.usecases._base import Kernel
from tests.contract import builders

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def _stored(engine: AsyncEngine) -> tuple[int, int, int]:
    """(customers, audit entries, outbox rows) stored, read outside any unit of work."""
    async with engine.connect() as conn:
        counts = [
            (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for table in (customers, audit_log, outbox)
        ]
    return counts[0], counts[1], counts[2]


async def test_appended_rows_are_kept_by_the_commit_alone(
    kernel: Kernel, admin: Actor, engine: AsyncEngine
) -> None:
    before = await _stored(engine)
    kept, dropped = builders.customer(admin.tenant_id, NOW), builders.customer(admin.tenant_id, NOW)
    for customer, commit in ((dropped, False), (kept, True)):
        async with kernel.uow(admin.tenant_id) as uow:
            await uow.customers.add(customer)
            await uow.audit.append([builders.audit_entry(admin.tenant_id, customer.id, NOW)])
            await uow.outbox.append([builders.event(admin.tenant_id, customer.id, NOW)])
            if commit:
                await uow.commit()

    assert await _stored(engine) == (before[0] + 1, before[1] + 1, before[2] + 1)
    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.customers.get(kept.id) == kept
        assert await uow.customers.get(dropped.id) is None
        assert len(await uow.audit.list_for_customer(kept.id, 10)) == 1


async def test_rows_appended_alone_are_committed(kernel: Kernel, admin: Actor, engine: AsyncEngine) -> None:
    customer = builders.customer(admin.tenant_id, NOW)
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(customer)
        await uow.commit()
    before = await _stored(engine)

    async with kernel.uow(admin.tenant_id) as uow:
        await uow.audit.append([builders.audit_entry(admin.tenant_id, customer.id, NOW)])
        await uow.commit()

    assert await _stored(engine) == (before[0], before[1] + 1, before[2])


async def test_an_appended_row_the_database_refuses_fails_the_commit_and_keeps_nothing(
    kernel: Kernel, admin: Actor, engine: AsyncEngine
) -> None:
    before = await _stored(engine)
    customer = builders.customer(admin.tenant_id, NOW)
    twice = builders.event(admin.tenant_id, customer.id, NOW)

    async def commit_one_event_twice() -> None:
        async with kernel.uow(admin.tenant_id) as uow:
            await uow.customers.add(customer)
            await uow.outbox.append([twice, twice])  # one key twice
            await uow.commit()

    with pytest.raises(Conflict):
        await commit_one_event_twice()

    assert await _stored(engine) == before
    async with kernel.uow(admin.tenant_id) as uow:  # the connection is clean for the next unit
        await uow.customers.add(customer)
        await uow.commit()
    assert (await _stored(engine))[0] == before[0] + 1


async def test_an_engine_made_elsewhere_is_refused_naming_the_factory(engine: AsyncEngine) -> None:
    # Its connections would not be in the autocommit mode the unit of work's drivers rely on.
    elsewhere = create_async_engine(engine.url)
    try:
        with pytest.raises(ValueError, match="create_engine_from"):
            SqlUnitOfWorkFactory(elsewhere)
        with pytest.raises(ValueError, match="create_engine_from"):
            SqlOutboxRelayStore(elsewhere)
    finally:
        await elsewhere.dispose()
