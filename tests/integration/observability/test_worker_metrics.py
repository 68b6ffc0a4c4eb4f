"""A real relay and a real consumer (RabbitMQ, PostgreSQL) serve their own metrics and
liveness over HTTP: what an operator scrapes is what the worker did."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from uuid import UUID, uuid4

import httpx
import pytest
from attrs import evolve

from lana_adapters.container import Container, container_for
from lana_adapters.messaging.runtime import consumer_process, relay_process
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_adapters.settings import Settings
from lana_adapters.sql import SqlSettings, create_engine_from
from lana_adapters.sql.uow import SqlUnitOfWorkFactory
from lana_adapters.telemetry.exposition import EndpointOptions
from lana_core.domain.events import CUSTOMER_UPDATED
from lana_core.memory import NoCache
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from tests.integration.messaging.backends import open_backend
from tests.integration.messaging.broker import bind, delete, depth, rabbitmq_unavailable, unique_settings
from tests.integration.messaging.events import event
from tests.integration.messaging.proxy import BrokerProxy
from tests.integration.messaging.receiver import Receiver, fail_first
from tests.integration.messaging.running import publish, until_drained
from tests.integration.messaging.test_consumer import _publish_raw
from tests.integration.observability.scrape import value
from tests.integration.sql.databases import postgres_database, postgres_unavailable
from tests.support import make_tenant

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]
TOKEN = "worker-scrape-token"
T = TypeVar("T")


@pytest.fixture
async def messaging() -> AsyncIterator[MessagingSettings]:
    for reason in (rabbitmq_unavailable(), postgres_unavailable()):
        if reason is not None:
            pytest.skip(reason)
    settings = unique_settings(os.environ["LANA_TEST_RABBITMQ_URL"])
    yield settings
    await asyncio.to_thread(delete, settings)


def _on_postgres(messaging: MessagingSettings) -> Container:
    """The composition root of a worker on the test database, as `lana relay` and `lana consume` build it."""
    return container_for(Settings(database=SqlSettings(url=postgres_database()), messaging=messaging))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Scraper:
    """Reads a worker's endpoint like Prometheus and a liveness probe would."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.options = EndpointOptions(port=port, token=TOKEN)
        self._client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5)

    async def live(self) -> int:
        return (await self._client.get("/health/live")).status_code

    async def value(self, series: str) -> float:
        response = await self._client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        return value(response.text, series) or 0.0

    async def until(self, series: str, wanted: float, within: float = 20.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while (seen := await self.value(series)) != wanted:
            assert asyncio.get_running_loop().time() < deadline, f"{series} is {seen}, not {wanted}"
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        await self._client.aclose()


@asynccontextmanager
async def worker(
    start: Callable[[asyncio.Event, EndpointOptions], Coroutine[Any, Any, T]],
) -> AsyncIterator[tuple[Scraper, asyncio.Task[T]]]:
    """Run a worker with its endpoint on a free port until the block ends; yields its scraper."""
    scraper = Scraper(_free_port())
    stop = asyncio.Event()
    task = asyncio.create_task(start(stop, scraper.options))
    try:
        for _ in range(100):
            try:
                if await scraper.live() == 200:
                    break
            except httpx.TransportError:
                await asyncio.sleep(0.05)
        yield scraper, task
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)
        await scraper.close()


async def test_the_consumer_serves_its_deliveries_retries_and_dlq_size(messaging: MessagingSettings) -> None:
    delivered = 5
    with Receiver() as receiver:
        receiver.script("/flaky", fail_first(1))
        settings = evolve(
            messaging,
            webhook_routes=(
                WebhookRoute(CUSTOMER_UPDATED, receiver.url("/flaky")),
                WebhookRoute("#", receiver.url("/hook")),
            ),
        )
        async with worker(
            lambda stop, endpoint: consumer_process(_on_postgres(settings), stop, endpoint=endpoint)
        ) as (
            scraper,
            task,
        ):
            await _queue_declared(settings)
            tenant = await _tenant()
            sent = [event(tenant_id=tenant) for _ in range(delivered - 1)]
            await publish(settings, [*sent, event(type=CUSTOMER_UPDATED, tenant_id=tenant)])
            await asyncio.to_thread(_publish_raw, settings, [(b"{not json", {})])
            await scraper.until('lana_consumer_deliveries_total{outcome="delivered"}', delivered)
            await scraper.until('lana_consumer_deliveries_total{outcome="dead_lettered"}', 1)
            # The consumer owed every event at once; the failed call is the sender's to retry.
            assert await scraper.value("lana_consumer_retries_total") == 0
            assert await scraper.value("lana_consumer_dlq_messages") == 1
            assert await scraper.live() == 200
            await asyncio.to_thread(receiver.wait_for, 2, 30, "/flaky")
            await asyncio.to_thread(receiver.wait_for, delivered - 1, 30, "/hook")
    stats = task.result()
    assert (stats.delivered, stats.retried, stats.dead_lettered) == (delivered, 0, 1)

    with pytest.raises(ConnectionRefusedError):  # the endpoint stopped with the worker
        await asyncio.open_connection("127.0.0.1", scraper.port)


async def _tenant() -> UUID:
    """A tenant of the test database, whose events the consumer owes to the routes."""
    engine = create_engine_from(SqlSettings(url=postgres_database()))
    try:
        kernel = Kernel(
            uow=SqlUnitOfWorkFactory(engine), clock=SystemClock(), ids=TimeOrderedIds(), cache=NoCache()
        )
        return (await make_tenant(kernel, slug=f"metrics{uuid4().hex[:8]}")).tenant_id
    finally:
        await engine.dispose()


async def test_the_relay_serves_the_outbox_lag_and_dead_rows(messaging: MessagingSettings) -> None:
    probe = await asyncio.to_thread(bind, messaging)
    async with open_backend("postgres") as backend:
        admin = await make_tenant(backend.kernel)
        await CreateCustomerHandler(backend.kernel)(admin, CreateCustomer(name="Ada", email="ada@x.io"))
        [doomed] = await backend.store.claim(1, lease_seconds=60)
        await backend.store.mark_failed(doomed.event.id, "refused for the test", dead=True)
        pending = await backend.store.pending_count()
        assert pending > 0
        # While the broker is away the backlog stays to be seen.
        with BrokerProxy(messaging.broker_url) as proxy:
            proxy.down()
            settings = evolve(messaging, broker_url=proxy.url)
            async with worker(
                lambda stop, endpoint: relay_process(_on_postgres(settings), stop, endpoint=endpoint)
            ) as (
                scraper,
                task,
            ):
                assert await scraper.value("lana_outbox_pending_events") == pending
                assert await scraper.value("lana_outbox_lag_seconds") > 0
                assert await scraper.value("lana_outbox_dead_events") == 1
                proxy.up()
                await until_drained(backend.store)
                assert await scraper.value("lana_outbox_pending_events") == 0
                assert await scraper.value("lana_outbox_lag_seconds") == 0
                assert await scraper.live() == 200
    await asyncio.to_thread(delete, messaging, [probe])
    assert task.result().published == pending


async def _queue_declared(settings: MessagingSettings, within: float = 10.0) -> None:
    """Wait until the consumer declared its queue: events published before would be unroutable."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            await asyncio.to_thread(depth, settings, settings.queue)
            return
        except Exception:
            assert asyncio.get_running_loop().time() < deadline, "the consumer never declared its queue"
            await asyncio.sleep(0.05)
