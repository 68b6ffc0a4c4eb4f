"""A failed transaction leaves nothing behind, and driver failures surface as the core's errors."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql import SqlSettings, SqlUnitOfWorkFactory, create_engine_from
from lana_adapters.sql.tables import audit_log, customers, outbox
from lana_core.domain.tenancy import Actor
from lana_core.errors import Conflict, Unavailable, ValidationError
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from tests.contract import builders
from tests.integration.sql.databases import fresh_postgres_database, postgres_database, postgres_unavailable

NOW = datetime(2026, 1, 1, tzinfo=UTC)


async def _rows(engine: AsyncEngine, customer_id: object) -> tuple[int, int, int]:
    """Customer, outbox and audit rows about ``customer_id``, read past any row-level security."""
    async with engine.connect() as conn:
        counts = []
        for statement in (
            select(func.count()).where(customers.c.id == customer_id),
            select(func.count()).where(outbox.c.aggregate_id == customer_id),
            select(func.count()).where(audit_log.c.customer_id == customer_id),
        ):
            counts.append(int((await conn.execute(statement)).scalar_one()))
    return counts[0], counts[1], counts[2]


async def test_a_transaction_failing_after_the_change_outbox_and_audit_rows_keeps_none(
    engine: AsyncEngine, kernel: Kernel, admin: Actor
) -> None:
    customer = builders.customer(admin.tenant_id, NOW)
    orphan = builders.project(admin.tenant_id, uuid4(), NOW, admin.user_id)

    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(customer)
        await uow.outbox.append([builders.event(admin.tenant_id, customer.id, NOW)])
        await uow.audit.append([builders.audit_entry(admin.tenant_id, customer.id, NOW)])
        with pytest.raises(ValidationError):
            await uow.projects.add(orphan)  # its customer does not exist: the database refuses

    assert await _rows(engine, customer.id) == (0, 0, 0)


async def test_a_log_row_refused_at_commit_fails_the_commit_and_keeps_nothing(
    engine: AsyncEngine, kernel: Kernel, admin: Actor
) -> None:
    # On PostgreSQL, outbox and audit rows travel with COMMIT: their failure must still undo all.
    customer = builders.customer(admin.tenant_id, NOW)
    event = builders.event(admin.tenant_id, customer.id, NOW)

    async def write_twice_and_commit() -> None:
        async with kernel.uow(admin.tenant_id) as uow:
            await uow.customers.add(customer)
            await uow.outbox.append([event, event])  # the same event id twice: the database refuses
            await uow.audit.append([builders.audit_entry(admin.tenant_id, customer.id, NOW)])
            await uow.commit()

    with pytest.raises(Conflict):  # at once on SQLite, at commit on PostgreSQL
        await write_twice_and_commit()

    assert await _rows(engine, customer.id) == (0, 0, 0)


async def test_log_rows_appended_before_a_read_are_seen_by_it(kernel: Kernel, admin: Actor) -> None:
    customer = builders.customer(admin.tenant_id, NOW)
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(customer)
        await uow.audit.append([builders.audit_entry(admin.tenant_id, customer.id, NOW)])
        assert len(await uow.audit.list_for_customer(customer.id, 10)) == 1


async def test_a_committed_change_keeps_all_three(engine: AsyncEngine, kernel: Kernel, admin: Actor) -> None:
    created = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Grace"))

    assert await _rows(engine, created.id) == (1, 1, 1)


async def test_a_duplicate_key_is_a_conflict(kernel: Kernel, admin: Actor) -> None:
    customer = builders.customer(admin.tenant_id, NOW)
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(customer)
        await uow.commit()

    with pytest.raises(Conflict):
        async with kernel.uow(admin.tenant_id) as uow:
            await uow.customers.add(customer)


async def test_a_reference_to_a_missing_record_is_a_validation_error(kernel: Kernel, admin: Actor) -> None:
    with pytest.raises(ValidationError):
        async with kernel.uow(admin.tenant_id) as uow:
            await uow.interactions.add(builders.interaction(admin.tenant_id, uuid4(), admin.user_id, NOW))


async def test_a_record_of_another_tenant_is_refused_before_any_sql(kernel: Kernel, admin: Actor) -> None:
    with pytest.raises(ValueError, match="tenant"):
        async with kernel.uow(admin.tenant_id) as uow:
            await uow.customers.add(builders.customer(uuid4(), NOW))


@pytest.mark.postgres
async def test_text_postgres_cannot_store_is_a_validation_error(
    pg_engine: AsyncEngine, admin_pg: Actor
) -> None:
    factory = SqlUnitOfWorkFactory(pg_engine)
    unstorable = builders.unstorable_customer(admin_pg.tenant_id, NOW)
    with pytest.raises(ValidationError):
        async with factory(admin_pg.tenant_id) as uow:
            await uow.customers.add(unstorable)


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_database_never_migrated_is_unavailable_and_says_to_migrate(
    database: str, tmp_path: Path
) -> None:
    if database == "postgres":
        if (reason := postgres_unavailable()) is not None:
            pytest.skip(reason)
        postgres_database()  # the roles are the cluster's: only the tables are missing
        url = fresh_postgres_database()
    else:
        url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    engine = create_engine_from(SqlSettings(url=url))
    try:
        with pytest.raises(Unavailable, match="run `lana migrate`"):
            async with SqlUnitOfWorkFactory(engine)(uuid4()) as uow:
                await uow.tenants.get(uuid4())
    finally:
        await engine.dispose()


async def test_an_unreachable_server_is_unavailable_quickly() -> None:
    settings = SqlSettings(url="postgresql+psycopg://lana@127.0.0.1:1/lana", connect_timeout_seconds=2)
    engine = create_engine_from(settings)
    started = time.monotonic()
    try:
        with pytest.raises(Unavailable):
            async with SqlUnitOfWorkFactory(engine)(uuid4()) as uow:
                await uow.tenants.get(uuid4())
    finally:
        await engine.dispose()
    assert time.monotonic() - started < 3


@pytest.mark.postgres
async def test_an_exhausted_pool_is_unavailable_after_the_pool_timeout(postgres_url: str) -> None:
    settings = SqlSettings(url=postgres_url, pool_size=1, max_overflow=0, pool_timeout_seconds=0.2)
    engine = create_engine_from(settings)
    factory = SqlUnitOfWorkFactory(engine)
    try:
        async with factory(uuid4()) as holder:
            await holder.tenants.get(uuid4())
            with pytest.raises(Unavailable):
                async with factory(uuid4()) as waiting:
                    await waiting.tenants.get(uuid4())
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_statement_over_the_timeout_is_unavailable(postgres_url: str) -> None:
    from sqlalchemy import text

    from lana_adapters.sql.prepared import Prepared
    from lana_adapters.sql.tx import Features, Tx

    engine = create_engine_from(SqlSettings(url=postgres_url, statement_timeout_ms=50))
    slow = text("SELECT pg_sleep(1)")
    try:
        for statement in (slow, Prepared(slow)):  # through SQLAlchemy, and straight on psycopg
            async with engine.connect() as conn:
                tx = Tx(conn, uuid4(), Features(postgres=True, fts=True), "lana_app")
                with pytest.raises(Unavailable):
                    await tx.rows(statement)
    finally:
        await engine.dispose()


@pytest.fixture
async def admin_pg(pg_engine: AsyncEngine) -> Actor:
    from lana_core.memory import ManualClock
    from tests.integration.sql.databases import kernel_on
    from tests.support import make_tenant

    return await make_tenant(kernel_on(pg_engine, ManualClock(NOW)))


async def test_units_of_work_release_their_connections(
    engine: AsyncEngine, kernel: Kernel, admin: Actor
) -> None:
    async def read() -> None:
        async with kernel.uow(admin.tenant_id) as uow:
            await uow.customers.counts()

    await asyncio.gather(*(read() for _ in range(30)))

    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
