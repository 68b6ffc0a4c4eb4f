"""A pooled PostgreSQL connection keeps the tenant and role of the last unit that read on it,
so that unit's successors of the same tenant send their reads alone. Every other user of
the connection must still get exactly its own scope: another tenant its rows only, the
relay every outbox row, the inbox and tenant-less statements the login role; and after a
failed read the connection's scope counts as unknown until a transaction states one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import bindparam, literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.messaging.inbox import SqlInbox
from lana_adapters.sql import SqlSettings, create_engine_from
from lana_adapters.sql.engine import SESSION_SCOPE, UNSCOPED
from lana_adapters.sql.outbox import SqlOutboxRelayStore
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.settings import APP_ROLE
from lana_adapters.sql.tx import Features, Tx
from lana_core.domain.customers import Customer
from lana_core.domain.queries import CustomerQuery
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


async def _stored_customer(kernel: Kernel, tenant_id: UUID, name: str) -> Customer:
    customer = builders.customer(tenant_id, NOW, name=name)
    async with kernel.uow(tenant_id) as uow:
        await uow.customers.add(customer)
        await uow.commit()
    return customer


async def _read_as(kernel: Kernel, tenant_id: UUID) -> None:
    """A unit that only reads: it leaves its tenant and role on the session."""
    async with kernel.uow(tenant_id) as uow:
        await uow.customers.get_view(uuid4(), TODAY)


async def _session(engine: AsyncEngine) -> tuple[Any, Any]:
    """(recorded, actual): the scope the pooled connection records for its session, and the
    (tenant, role) the session really has, read on the driver outside any transaction."""
    async with engine.connect() as conn:
        recorded = conn.info.get(SESSION_SCOPE, UNSCOPED)
        driver: Any = (await conn.get_raw_connection()).driver_connection
        cursor = await driver.execute(
            "SELECT current_setting('app.tenant_id', true), current_user, session_user"
        )
        tenant, user, login = await cursor.fetchone()
    actual = (UUID(tenant) if tenant else None, None if user == login else user)
    return recorded, actual


async def test_a_read_leaves_its_scope_on_the_session_and_records_it(one_connection: AsyncEngine) -> None:
    kernel = kernel_on(one_connection, ManualClock(NOW))
    admin = await make_tenant(kernel)

    await _read_as(kernel, admin.tenant_id)

    recorded, actual = await _session(one_connection)
    assert recorded == actual == (admin.tenant_id, APP_ROLE)


async def test_off_a_read_leaves_nothing_on_the_session(postgres_url: str, pg_engine: AsyncEngine) -> None:
    # For a pooler in transaction mode, which hands server sessions from client to client.
    engine = create_engine_from(
        SqlSettings(url=postgres_url, pool_size=1, max_overflow=0, session_scope=False)
    )
    try:
        kernel = kernel_on(engine, ManualClock(NOW))
        admin = await make_tenant(kernel)

        await _read_as(kernel, admin.tenant_id)

        recorded, actual = await _session(engine)
        assert recorded == actual == UNSCOPED
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("statement", "params"),
    [
        (Prepared(select(literal_column("1 / 0"))), None),  # the server fails it: the scope is undone
        (Prepared(select(bindparam("text"))), {"text": "a\x00b"}),  # the driver refuses it: the scope ran
    ],
    ids=["refused by the server", "refused by the driver"],
)
async def test_after_a_failed_read_the_session_scope_is_unknown_until_stated_again(
    one_connection: AsyncEngine, statement: Prepared, params: dict[str, str] | None
) -> None:
    kernel = kernel_on(one_connection, ManualClock(NOW))
    acme, globex = await make_tenant(kernel, "acme"), await make_tenant(kernel, "globex")
    await _read_as(kernel, acme.tenant_id)

    async with one_connection.connect() as conn:
        tx = Tx(conn, globex.tenant_id, Features(postgres=True, fts=True), APP_ROLE, session_scope=True)
        with pytest.raises(LanaError):
            await tx.first(statement, params)
        await tx.leave()

    recorded, _ = await _session(one_connection)
    assert recorded not in {UNSCOPED, (acme.tenant_id, APP_ROLE), (globex.tenant_id, APP_ROLE)}
    await _read_as(kernel, acme.tenant_id)
    recorded, actual = await _session(one_connection)
    assert recorded == actual == (acme.tenant_id, APP_ROLE)


async def test_another_tenant_on_the_session_sees_and_writes_only_its_own_rows(
    one_connection: AsyncEngine,
) -> None:
    kernel = kernel_on(one_connection, ManualClock(NOW))
    acme, globex = await make_tenant(kernel, "acme"), await make_tenant(kernel, "globex")
    acmes = await _stored_customer(kernel, acme.tenant_id, "Acme's")
    globexs = await _stored_customer(kernel, globex.tenant_id, "Globex's")
    await _read_as(kernel, acme.tenant_id)

    async with kernel.uow(globex.tenant_id) as uow:
        assert await uow.customers.get_view(acmes.id, TODAY) is None
        assert await uow.customers.get_view(globexs.id, TODAY) is not None
        assert [c.id for c in (await uow.customers.list(CustomerQuery())).items] == [globexs.id]
    await _read_as(kernel, acme.tenant_id)
    # A unit whose first statement writes, on a session left with the other tenant.
    written = await _stored_customer(kernel, globex.tenant_id, "Written first")

    async with kernel.uow(acme.tenant_id) as uow:
        assert await uow.customers.get_view(written.id, TODAY) is None
    async with kernel.uow(globex.tenant_id) as uow:
        assert await uow.customers.get_view(written.id, TODAY) is not None


async def test_a_unit_without_a_tenant_gets_the_login_role(one_connection: AsyncEngine) -> None:
    kernel = kernel_on(one_connection, ManualClock(NOW))
    admin = await make_tenant(kernel)
    await _read_as(kernel, admin.tenant_id)

    async with one_connection.connect() as conn:
        found = await conn.exec_driver_sql(
            "SELECT current_setting('app.tenant_id', true), current_user = session_user"
        )
        tenant, login_role = found.one()
    assert not tenant
    assert login_role


async def test_the_relay_claims_every_tenants_rows_on_a_session_left_with_one(
    one_connection: AsyncEngine,
) -> None:
    kernel = kernel_on(one_connection, ManualClock(NOW))
    acme, globex = await make_tenant(kernel, "acme"), await make_tenant(kernel, "globex")
    await _read_as(kernel, acme.tenant_id)

    claimed = await SqlOutboxRelayStore(one_connection).claim(limit=100, lease_seconds=30)

    assert {record.event.tenant_id for record in claimed} == {acme.tenant_id, globex.tenant_id}


async def test_the_inbox_runs_as_the_login_role_on_a_session_left_with_a_tenant(
    one_connection: AsyncEngine,
) -> None:
    kernel = kernel_on(one_connection, ManualClock(NOW))
    admin = await make_tenant(kernel)
    await _read_as(kernel, admin.tenant_id)

    # The tenant's role may not touch the inbox: this fails unless the session is reset.
    async with SqlInbox(one_connection) as inbox:
        assert await inbox.record("n8n", event(), NOW) is True

    recorded, actual = await _session(one_connection)
    assert recorded == actual == UNSCOPED
