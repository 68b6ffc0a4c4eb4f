"""Subscriptions end to end: a change committed in SQLite, relayed through a real RabbitMQ,
consumed by ``lana consume``'s runtime, owed to the tenant's subscriptions and sent, signed,
to a real local receiver."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from attrs import evolve
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.messaging.inbox import SqlInbox
from lana_adapters.messaging.runtime import SubscriptionDatabase, run_consumer, run_relay
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.sql import SqlOutboxRelayStore, SqlSettings, create_engine_from
from lana_adapters.sql.uow import SqlUnitOfWorkFactory
from lana_core.app import Lana
from lana_core.domain import webhook_signing
from lana_core.domain.customers import CustomerValue
from lana_core.memory import NoCache
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import CreateCustomer
from lana_core.usecases.webhooks import CreateWebhook
from lana_testing.support import FAST_HASHER, make_tenant
from tests.integration.messaging.receiver import Receiver
from tests.integration.sql.databases import sqlite_database

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
async def settings(messaging: MessagingSettings, tmp_path: Path) -> MessagingSettings:
    return evolve(
        messaging,
        webhook_routes=(),
        webhook_allow_private=True,
        webhook_timeout_seconds=3,
    )


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine_from(SqlSettings(url=sqlite_database(tmp_path)))
    yield engine
    await engine.dispose()


@pytest.fixture
def kernel(engine: AsyncEngine) -> Kernel:
    return Kernel(
        uow=SqlUnitOfWorkFactory(engine), clock=SystemClock(), ids=TimeOrderedIds(), cache=NoCache()
    )


async def test_a_committed_change_reaches_the_subscriptions_that_want_it_signed(
    settings: MessagingSettings, engine: AsyncEngine, kernel: Kernel, receiver: Receiver
) -> None:
    lana = Lana(kernel, hasher=FAST_HASHER, webhook_urls_may_be_private=True)
    admin = await make_tenant(kernel)
    high = await lana.create_webhook(
        admin, CreateWebhook(url=receiver.url("/high"), event_types=["customer.*"], filters=["value = high"])
    )
    stop = asyncio.Event()
    async with SqlInbox(engine) as inbox:
        workers = [
            asyncio.create_task(run_relay(settings, stop, store=SqlOutboxRelayStore(engine, role=None))),
            asyncio.create_task(
                run_consumer(
                    settings, stop, inbox=inbox, subscriptions=SubscriptionDatabase(engine, relay_role=None)
                )
            ),
        ]
        try:
            wanted = await lana.create_customer(admin, CreateCustomer(name="Grace", value=CustomerValue.HIGH))
            await lana.create_customer(admin, CreateCustomer(name="Bob", value=CustomerValue.LOW))
            await asyncio.to_thread(receiver.wait_for, 1, 15, "/high")
            await asyncio.sleep(0.5)  # time for a wrong delivery to arrive, had there been one
        finally:
            stop.set()
            await asyncio.gather(*workers)
    [request] = [r for r in receiver.received if r.path == "/high"]
    assert request.document()["aggregate_id"] == str(wanted.id)
    assert webhook_signing.verify(high.secret, request.headers, request.body, now=time.time())
