"""A pooled PostgreSQL connection serves each tenant exactly its own rows, whatever failed on it
before: a scope left on the session is trusted only once the statements setting it
succeeded, so no failure (in the driver, in the server, or a cancellation) can leave a
session whose scope is not the one recorded.

Each test runs a unit that fails in one way on a one-connection pool, then checks that units
of two tenants on that same connection read, find and write exactly their own rows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.messaging.inbox import SqlInbox
from lana_adapters.sql import SqlSettings, create_engine_from
from lana_adapters.sql.outbox import SqlOutboxRelayStore
from lana_adapters.sql.prepared import Prepared
from lana_core.domain.customers import Customer
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor
from lana_core.errors import LanaError
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from tests.contract import builders
from tests.integration.messaging.events import event
from tests.integration.sql.databases import kernel_on
from tests.support import make_tenant

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 1, 1, tzinfo=UTC)
TODAY = date(2026, 1, 1)
TIMEOUT_MS = 200

Failure = Callable[[Kernel, UUID], Awaitable[None]]


@pytest.fixture
async def short_timeout(postgres_url: str, pg_engine: AsyncEngine) -> Any:
    """One pooled connection whose statements time out after TIMEOUT_MS."""
    engine = create_engine_from(
        SqlSettings(url=postgres_url, pool_size=1, max_overflow=0, statement_timeout_ms=TIMEOUT_MS)
    )
    try:
        yield engine
    finally:
        await engine.dispose()


async def _stored_customer(kernel: Kernel, tenant_id: UUID, name: str) -> Customer:
    customer = builders.customer(tenant_id, NOW, name=name)
    async with kernel.uow(tenant_id) as uow:
        await uow.customers.add(customer)
        await uow.commit()
    return customer


async def _a_nul_in_a_first_read(kernel: Kernel, tenant_id: UUID) -> None:
    # The driver refuses the value before sending it, after the transaction's scope was queued.
    async with kernel.uow(tenant_id) as uow:
        await uow.tenants.get_by_slug("default\x00")


async def _a_nul_in_a_read_after_a_write(kernel: Kernel, tenant_id: UUID) -> None:
    async with kernel.uow(tenant_id) as uow:
        await uow.customers.add(builders.customer(tenant_id, NOW, name="Rolled back"))
        await uow.tenants.get_by_slug("default\x00")


async def _a_unique_key_violated(kernel: Kernel, tenant_id: UUID) -> None:
    taken = builders.customer(tenant_id, NOW, name="Taken", email="taken@example.com")
    async with kernel.uow(tenant_id) as uow:
        await uow.customers.add(taken)
        await uow.commit()
    async with kernel.uow(tenant_id) as uow:
        await uow.customers.add(builders.customer(tenant_id, NOW, name="Again", email=taken.email))
        await uow.commit()


async def _a_statement_timed_out(kernel: Kernel, tenant_id: UUID) -> None:
    async with kernel.uow(tenant_id) as uow:
        await uow.customers.list(CustomerQuery())  # the unit's scope is in place
        sleep = text("SELECT pg_sleep(:seconds)").columns()
        await _tx_of(uow).first(sleep, {"seconds": TIMEOUT_MS * 5 / 1000})


async def _a_unit_cancelled_mid_statement(kernel: Kernel, tenant_id: UUID) -> None:
    async def slow_unit() -> None:
        async with kernel.uow(tenant_id) as uow:
            await uow.customers.list(CustomerQuery())
            await _tx_of(uow).first(Prepared(select(text("pg_sleep(0.15) IS NULL"))))

    task = asyncio.create_task(slow_unit())
    await asyncio.sleep(0.05)
    task.cancel()
    await task


def _tx_of(uow: Any) -> Any:
    return uow._tx


FAILURES = [
    _a_nul_in_a_first_read,
    _a_nul_in_a_read_after_a_write,
    _a_unique_key_violated,
    _a_statement_timed_out,
    _a_unit_cancelled_mid_statement,
]


async def _each_sees_only_its_own(kernel: Kernel, own: dict[UUID, Customer]) -> None:
    for tenant_id, customer in own.items():
        others = [c.id for t, c in own.items() if t != tenant_id]
        async with kernel.uow(tenant_id) as uow:
            # A read by key first: the cheapest path, run before the unit's transaction begins.
            assert await uow.customers.get_view(customer.id, TODAY) is not None
            for other in others:
                assert await uow.customers.get_view(other, TODAY) is None
            listed = [c.id for c in (await uow.customers.list(CustomerQuery())).items]
            assert customer.id in listed
            assert not set(others) & set(listed)
        written = await _stored_customer(kernel, tenant_id, f"Written after by {tenant_id}")
        async with kernel.uow(tenant_id) as uow:
            assert await uow.customers.get(written.id) is not None


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("failing", ["acme", "nobody"])
async def test_after_a_failed_unit_each_tenant_sees_exactly_its_own_rows(
    short_timeout: AsyncEngine, failure: Failure, failing: str
) -> None:
    kernel = kernel_on(short_timeout, ManualClock(NOW))
    acme, globex = await make_tenant(kernel, "acme"), await make_tenant(kernel, "globex")
    own = {
        acme.tenant_id: await _stored_customer(kernel, acme.tenant_id, "Acme's"),
        globex.tenant_id: await _stored_customer(kernel, globex.tenant_id, "Globex's"),
    }
    # Leave globex's unit last on the session, then fail as acme or as a tenant-less lookup.
    await _each_sees_only_its_own(kernel, own)
    failing_tenant = acme.tenant_id if failing == "acme" else uuid4()

    with pytest.raises((LanaError, asyncio.CancelledError)):
        await failure(kernel, failing_tenant)

    # Globex first: the tenant whose unit ran on the connection before the failure.
    await _each_sees_only_its_own(kernel, dict(reversed(own.items())))
    await _each_sees_only_its_own(kernel, own)


async def _read_as(kernel: Kernel, admin: Actor) -> None:
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.get_view(uuid4(), TODAY)


async def test_the_relay_claims_every_tenants_rows_after_a_tenants_unit(one_connection: AsyncEngine) -> None:
    kernel = kernel_on(one_connection, ManualClock(NOW))
    acme, globex = await make_tenant(kernel, "acme"), await make_tenant(kernel, "globex")
    await _read_as(kernel, acme)

    claimed = await SqlOutboxRelayStore(one_connection).claim(limit=100, lease_seconds=30)

    assert {record.event.tenant_id for record in claimed} == {acme.tenant_id, globex.tenant_id}


async def test_the_inbox_runs_as_the_login_role_after_a_tenants_unit(one_connection: AsyncEngine) -> None:
    kernel = kernel_on(one_connection, ManualClock(NOW))
    admin = await make_tenant(kernel)
    await _read_as(kernel, admin)

    # The tenant's role may not touch the inbox.
    async with SqlInbox(one_connection) as inbox:
        assert await inbox.record("n8n", event(), NOW) is True


async def test_a_tenant_less_lookup_sees_every_tenant(one_connection: AsyncEngine) -> None:
    kernel = kernel_on(one_connection, ManualClock(NOW))
    acme, globex = await make_tenant(kernel, "acme"), await make_tenant(kernel, "globex")
    await _read_as(kernel, acme)

    async with kernel.uow(uuid4()) as uow:
        found = [await uow.tenants.get_by_slug(slug) for slug in ("acme", "globex")]

    assert [tenant.id for tenant in found if tenant is not None] == [acme.tenant_id, globex.tenant_id]
