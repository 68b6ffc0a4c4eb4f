"""How a unit of work ends on PostgreSQL: what it changed without committing is undone, a
unit that only read leaves its connection's prepared statements in place, and no unit,
whatever it did, leaves its connection inside a transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import psycopg
import pytest
from sqlalchemy import func, literal_column, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql import SqlUnitOfWorkFactory
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.settings import APP_ROLE
from lana_adapters.sql.tables import customers
from lana_adapters.sql.tx import Features, Tx
from lana_core.domain.queries import CustomerQuery
from lana_core.errors import LanaError
from lana_core.memory import ManualClock
from tests.contract import builders
from tests.integration.sql.databases import kernel_on
from tests.support import make_tenant

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def _prepared_statements(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        found = await conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements")
        return [str(row[0]) for row in found]


async def _stored_customers(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(customers))).scalar_one())


async def test_a_unit_that_only_read_keeps_the_statements_it_prepared(one_connection: AsyncEngine) -> None:
    kernel = kernel_on(one_connection, ManualClock(NOW))
    admin = await make_tenant(kernel)
    customer = builders.customer(admin.tenant_id, NOW)
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(customer)
        await uow.commit()

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.customers.get_view(customer.id, date(2026, 1, 1)) is not None
        # A list page runs in a transaction the unit must end: with COMMIT, as it changed nothing.
        assert (await uow.customers.list(CustomerQuery())).items

    # Ending with ROLLBACK would have made the driver deallocate them all.
    assert any("project_stats" in statement for statement in await _prepared_statements(one_connection))


async def test_a_change_left_uncommitted_is_undone(one_connection: AsyncEngine) -> None:
    kernel = kernel_on(one_connection, ManualClock(NOW))
    admin = await make_tenant(kernel)
    before = await _stored_customers(one_connection)

    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(builders.customer(admin.tenant_id, NOW))
        assert await uow.customers.counts() is not None  # a read after the write
    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.customers.counts() is not None  # a read before the write
        await uow.customers.add(builders.customer(admin.tenant_id, NOW))

    assert await _stored_customers(one_connection) == before


async def test_a_unit_whose_read_failed_leaves_a_usable_connection(one_connection: AsyncEngine) -> None:
    async with one_connection.connect() as conn:
        tx = Tx(conn, uuid4(), Features(postgres=True, fts=True), APP_ROLE)
        with pytest.raises(LanaError):
            await tx.first(Prepared(select(literal_column("1 / 0"))))
        await tx.leave()

    async with SqlUnitOfWorkFactory(one_connection)(uuid4()) as uow:
        assert await uow.tenants.get(uuid4()) is None


async def _transactions_left_open(postgres_url: str) -> int:
    """Connections to the test database idle inside a transaction, seen from outside the pool."""
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as admin:
        found = await admin.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND state LIKE 'idle in transaction%'"
        )
        row = await found.fetchone()
    assert row is not None
    return int(row[0])


async def test_no_unit_leaves_its_connection_inside_a_transaction(
    one_connection: AsyncEngine, postgres_url: str
) -> None:
    kernel = kernel_on(one_connection, ManualClock(NOW))
    admin = await make_tenant(kernel)
    customer = builders.customer(admin.tenant_id, NOW)
    async with kernel.uow(admin.tenant_id) as uow:  # a write, rows appended for the COMMIT
        await uow.customers.add(customer)
        await uow.audit.append([builders.audit_entry(admin.tenant_id, customer.id, NOW)])
        await uow.commit()
    async with kernel.uow(admin.tenant_id) as uow:  # a read alone, then a list in a transaction
        assert await uow.customers.get_view(customer.id, date(2026, 1, 1)) is not None
        assert (await uow.customers.list(CustomerQuery())).items
    async with kernel.uow(admin.tenant_id) as uow:  # a write left uncommitted
        await uow.customers.add(builders.customer(admin.tenant_id, NOW))
    with pytest.raises(LanaError):
        async with kernel.uow(admin.tenant_id) as uow:  # a write the database refuses
            await uow.customers.add(customer)

    assert await _transactions_left_open(postgres_url) == 0
    async with kernel.uow(admin.tenant_id) as uow:
        assert len(await uow.audit.list_for_customer(customer.id, 10)) == 1
