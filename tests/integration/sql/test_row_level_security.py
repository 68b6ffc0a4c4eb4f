"""PostgreSQL row-level security: a second wall that hides every tenant's rows from raw SQL
run as the application role unless that tenant is set for the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lana_adapters.sql.settings import APP_ROLE, RELAY_ROLE
from lana_adapters.sql.webhooks import SqlWebhookDeliveryQueue
from lana_core.domain.api_keys import ApiKey
from lana_core.domain.import_jobs import ImportJob, ImportRefusal
from lana_core.domain.tenancy import Actor, Role
from lana_core.domain.webhooks import DeliveryAttempt, Subscription, SubscriptionSpec, WebhookEvent
from lana_core.memory import ManualClock
from lana_core.ports import UnitOfWork
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from tests.contract import builders
from tests.integration.sql.databases import kernel_on
from tests.support import make_tenant

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TENANT_TABLES = (
    "users",
    "api_keys",
    "import_jobs",
    "import_refusals",
    "webhook_subscriptions",
    "webhook_deliveries",
    "webhook_attempts",
    "customers",
    "projects",
    "tasks",
    "interactions",
    "insights",
    "audit_log",
    "outbox",
    "analytics_events",
)


@pytest.fixture
async def acme(pg_engine: AsyncEngine) -> Actor:
    """A tenant with a row in every tenant table."""
    kernel = kernel_on(pg_engine, ManualClock(NOW))
    admin = await make_tenant(kernel, "acme")
    customer = await CreateCustomerHandler(kernel)(
        admin, CreateCustomer(name="Grace", email="grace@navy.mil")
    )
    project = builders.project(admin.tenant_id, customer.id, NOW, admin.user_id)
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.projects.add(project)
        await uow.tasks.add(builders.task(project, NOW))
        await uow.interactions.add(builders.interaction(admin.tenant_id, customer.id, admin.user_id, NOW))
        await uow.insights.add(builders.insight(admin.tenant_id, customer.id, NOW))
        key, _ = ApiKey.issue(
            id=uuid4(),
            tenant_id=admin.tenant_id,
            name="n8n",
            role=Role.AGENT,
            created_by=admin.user_id,
            now=NOW,
            expires_at=None,
        )
        await uow.api_keys.add(key)
        job = ImportJob.queue(id=uuid4(), tenant_id=admin.tenant_id, created_by=None, options={}, now=NOW)
        await uow.import_jobs.add(job)
        await uow.import_jobs.add_refusals(job.id, [ImportRefusal(line=2, cells=("x",), problems=())])
        await _subscribe(uow, admin)
        await uow.commit()
    await _attempt_a_delivery(pg_engine)
    return admin


async def _subscribe(uow: UnitOfWork, admin: Actor) -> None:
    """A subscription owed one event."""
    spec = SubscriptionSpec.check(
        url="https://hooks.example.com", event_types=["#"], filters=[], format=None, allow_private=False
    )
    subscription = Subscription.create(
        id=uuid4(), tenant_id=admin.tenant_id, spec=spec, created_by=admin.user_id, now=NOW
    )
    await uow.webhooks.add(subscription)
    event = WebhookEvent(
        id=uuid4(),
        tenant_id=admin.tenant_id,
        type="customer.created",
        aggregate_id=uuid4(),
        occurred_at=NOW,
        body=b"{}",
    )
    await uow.webhooks.enqueue(event, [subscription], NOW)


async def _attempt_a_delivery(pg_engine: AsyncEngine) -> None:
    """The delivery worker (as the relay role) tries the delivery once."""
    queue = SqlWebhookDeliveryQueue(pg_engine, ManualClock(NOW))
    [claimed] = await queue.claim(10, 30)
    attempt = DeliveryAttempt.record(claimed.delivery, at=NOW, status_code=200, latency_ms=5)
    await queue.record(claimed.delivery.attempted(attempt, retry_at=None), attempt)


@pytest.fixture
async def as_app(pg_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A raw connection running as the application role, as a forgetful query would."""
    async with pg_engine.connect() as conn:
        await conn.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
        yield conn


async def _count(conn: AsyncConnection, table: str) -> int:
    return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def _set_tenant(conn: AsyncConnection, tenant_id: UUID) -> None:
    await conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})


async def test_every_tenant_table_holds_rows_the_superuser_sees(pg_engine: AsyncEngine, acme: Actor) -> None:
    async with pg_engine.connect() as conn:
        for table in TENANT_TABLES:
            assert await _count(conn, table) > 0, table


async def test_a_query_without_a_tenant_sees_no_rows(as_app: AsyncConnection, acme: Actor) -> None:
    for table in TENANT_TABLES:
        assert await _count(as_app, table) == 0, table


async def test_a_query_for_another_tenant_sees_none_of_this_tenants_rows(
    pg_engine: AsyncEngine, as_app: AsyncConnection, acme: Actor
) -> None:
    globex = await make_tenant(kernel_on(pg_engine, ManualClock(NOW)), "globex")
    await _set_tenant(as_app, globex.tenant_id)

    for table in TENANT_TABLES:
        rows = await as_app.execute(text(f"SELECT tenant_id FROM {table}"))
        assert acme.tenant_id not in {row.tenant_id for row in rows}, table


async def test_a_query_for_the_tenant_sees_its_rows(as_app: AsyncConnection, acme: Actor) -> None:
    await _set_tenant(as_app, acme.tenant_id)

    for table in TENANT_TABLES:
        assert await _count(as_app, table) > 0, table


async def test_another_tenant_can_neither_change_nor_add_this_tenants_rows(
    as_app: AsyncConnection, acme: Actor
) -> None:
    await _set_tenant(as_app, builders.tenant(NOW).id)

    changed = await as_app.execute(text("UPDATE customers SET name = 'stolen'"))
    assert changed.rowcount == 0
    with pytest.raises(Exception, match="row-level security"):
        await as_app.execute(
            text(
                "INSERT INTO audit_log VALUES (:t, :id, NULL, 'customer', :id, NULL, 'forged', '[]', now())"
            ),
            {"t": acme.tenant_id, "id": builders.tenant(NOW).id},
        )


async def test_tenants_are_readable_before_any_tenant_is_known(as_app: AsyncConnection, acme: Actor) -> None:
    row = (await as_app.execute(text("SELECT id FROM tenants WHERE slug = 'acme'"))).one()

    assert row.id == acme.tenant_id


async def test_the_relay_role_sees_every_outbox_row_and_no_customer(
    pg_engine: AsyncEngine, acme: Actor
) -> None:
    async with pg_engine.connect() as conn:
        await conn.execute(text(f"SET LOCAL ROLE {RELAY_ROLE}"))
        assert await _count(conn, "outbox") > 0
        with pytest.raises(Exception, match="permission denied"):
            await _count(conn, "customers")


async def test_the_search_index_is_reached_only_through_the_tenant_scoped_function(
    pg_engine: AsyncEngine, as_app: AsyncConnection, acme: Actor
) -> None:
    globex = await make_tenant(kernel_on(pg_engine, ManualClock(NOW)), "globex")
    matches = text("SELECT count(*) FROM lana_customer_matches('grace', false)")

    assert int((await as_app.execute(matches)).scalar_one()) == 0  # no tenant set
    await _set_tenant(as_app, globex.tenant_id)
    assert int((await as_app.execute(matches)).scalar_one()) == 0
    await _set_tenant(as_app, acme.tenant_id)
    assert int((await as_app.execute(matches)).scalar_one()) == 1
    with pytest.raises(Exception, match="permission denied"):
        await _count(as_app, "customer_search")
