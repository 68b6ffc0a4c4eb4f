"""`lana relay` and `lana consume` run on what the composition root builds from the one
settings object: the same database (every LANA_DATABASE_* setting) the API would open."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from lana_adapters.container import container_for, resolve, stop
from lana_adapters.messaging.runtime import relay_process
from lana_adapters.settings import Settings
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from tests.integration.messaging.running import until_drained
from tests.integration.sql.databases import postgres_database, postgres_unavailable
from tests.support import make_tenant


async def test_the_relay_publishes_the_outbox_of_the_database_its_container_opens() -> None:
    settings = Settings.from_env(
        {
            "LANA_DATABASE_URL": "memory://",
            "LANA_EVENTS_EXCHANGE": "test.composition.events",
            "LANA_RELAY_POLL_SECONDS": "0.02",
        }
    )
    container = container_for(settings)
    kernel = await resolve(container.kernel)
    admin = await make_tenant(kernel)
    await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Ada"))
    outbox = (await resolve(container.database)).relay_store
    written = await outbox.pending_count()
    assert written > 0

    halt = asyncio.Event()
    relay = asyncio.create_task(relay_process(container, halt, in_process=True))
    await until_drained(outbox)
    halt.set()
    stats = await relay

    assert stats.published == written
    assert await outbox.pending_count() == 0


@pytest.fixture
def postgres_url() -> str:
    if (reason := postgres_unavailable()) is not None:
        pytest.skip(reason)
    return postgres_database()


@pytest.mark.postgres
async def test_the_workers_engine_has_every_database_setting(postgres_url: str) -> None:
    settings = Settings.from_env(
        {
            "LANA_DATABASE_URL": postgres_url,
            "LANA_DATABASE_POOL_SIZE": "3",
            "LANA_DATABASE_STATEMENT_TIMEOUT_MS": "1234",
            "LANA_DATABASE_RELAY_ROLE": "lana_no_such_role",
        }
    )
    container = container_for(settings)
    try:
        database = await resolve(container.database)
        await resolve(container.inbox)  # the consumer's, on the same engine
        assert database.engine is not None
        assert database.engine.pool.size() == 3  # type: ignore[attr-defined]
        async with database.engine.connect() as connection:
            assert (await connection.execute(text("SHOW statement_timeout"))).scalar() == "1234ms"
        # The relay's transactions run as LANA_DATABASE_RELAY_ROLE.
        with pytest.raises(Exception, match="lana_no_such_role"):
            await database.relay_store.pending_count()
    finally:
        await stop(container)
