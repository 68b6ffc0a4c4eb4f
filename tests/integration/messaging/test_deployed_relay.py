"""An API process on PostgreSQL relays nothing itself: every event a real ``lana serve`` records
waits in the outbox for a real ``lana relay``, which publishes it to RabbitMQ and, with Redis,
feeds the API's live event stream."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.sql import SqlOutboxRelayStore, SqlSettings, create_engine_from
from lana_adapters.sql.tables import outbox
from tests.integration.messaging.broker import bind, read
from tests.integration.messaging.deployed import lana, serve_settings, serving
from tests.integration.messaging.running import until_drained
from tests.integration.redis.servers import delete_prefixed, redis_unavailable, unique_prefix
from tests.integration.sql.databases import fresh_postgres_database, postgres_unavailable

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.slow]
CUSTOMERS = 30
WAIT_LINE = "wait in the outbox for `lana relay`"


@pytest.fixture
def database_url() -> str:
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)
    return fresh_postgres_database()  # lana serve migrates it and creates the first tenant


@pytest.fixture
def redis_env() -> Iterator[dict[str, str]]:
    """Redis settings under a key prefix of this test's own, deleted afterwards."""
    reason = redis_unavailable()
    if reason is not None:
        pytest.skip(reason)
    url, prefix = os.environ["LANA_TEST_REDIS_URL"], unique_prefix()
    yield {"LANA_REDIS_URL": url, "LANA_REDIS_KEY_PREFIX": prefix}
    delete_prefixed(url, prefix)


def relay_settings(messaging: MessagingSettings, database_url: str, **more: str) -> dict[str, str]:
    return {**messaging.as_env(), "LANA_DATABASE_URL": database_url, "LANA_LOG_FORMAT": "json", **more}


async def _outbox_ids(database_url: str) -> set[str]:
    engine = create_engine_from(SqlSettings(url=database_url))
    try:
        async with engine.connect() as conn:
            return {str(i) for i in (await conn.execute(select(outbox.c.id))).scalars()}
    finally:
        await engine.dispose()


async def _create_customers(client: httpx.AsyncClient, headers: dict[str, str], count: int) -> None:
    for n in range(count):
        response = await client.post("/api/v1/customers", json={"name": f"Customer {n}"}, headers=headers)
        assert response.status_code == 201, response.text


async def test_every_event_of_a_postgresql_api_without_a_broker_url_reaches_the_broker_through_lana_relay(
    messaging: MessagingSettings, database_url: str, tmp_path: Path
) -> None:
    queue = await asyncio.to_thread(bind, messaging, "#")
    serve_log = tmp_path / "serve.log"
    async with serving(serve_settings(database_url), serve_log) as (client, headers):
        await _create_customers(client, headers, CUSTOMERS)
        await asyncio.sleep(1)  # an API relaying in-process (every 0.1 s) would have taken them by now
        engine = create_engine_from(SqlSettings(url=database_url))
        try:
            async with lana(["relay"], relay_settings(messaging, database_url), tmp_path / "relay.log"):
                await until_drained(SqlOutboxRelayStore(engine), within=60)
        finally:
            await engine.dispose()
    written = await _outbox_ids(database_url)
    messages = await asyncio.to_thread(read, messaging, queue, len(written), 10.0)
    received = {m.properties["message_id"] for m in messages}
    print(f"\nPostgreSQL API + lana relay: {len(written)} written, {len(written - received)} lost")
    assert len(written) >= CUSTOMERS + 2  # the first tenant, its admin, the customers
    assert written - received == set()
    said = [line for line in serve_log.read_text().splitlines() if WAIT_LINE in line]
    assert len(said) == 1, serve_log.read_text()


@pytest.mark.redis
async def test_lana_relay_feeds_the_live_stream_of_a_postgresql_api_through_redis(
    messaging: MessagingSettings, database_url: str, tmp_path: Path, redis_env: dict[str, str]
) -> None:
    await asyncio.to_thread(bind, messaging, "#")
    async with (
        serving(serve_settings(database_url, **redis_env), tmp_path / "serve.log") as (client, headers),
        lana(["relay"], relay_settings(messaging, database_url, **redis_env), tmp_path / "relay.log"),
    ):
        seen: list[dict[str, Any]] = []
        subscribed = asyncio.Event()
        watcher = asyncio.create_task(_watch(client, headers, seen, subscribed))
        try:
            await asyncio.wait_for(subscribed.wait(), timeout=10)
            await _create_customers(client, headers, 1)
            await asyncio.wait_for(_until_created(seen), timeout=20)
        finally:
            watcher.cancel()
    [created] = [e for e in seen if e["type"] == "customer.created"]
    assert created["payload"]["name"] == "Customer 0"


async def _watch(
    client: httpx.AsyncClient, headers: dict[str, str], seen: list[dict[str, Any]], subscribed: asyncio.Event
) -> None:
    async with client.stream("GET", "/api/v1/events/stream", headers=headers, timeout=None) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith(": subscribed"):
                subscribed.set()
            elif line.startswith("data: "):
                seen.append(json.loads(line.removeprefix("data: ")))


async def _until_created(seen: list[dict[str, Any]]) -> None:
    while not any(e["type"] == "customer.created" for e in seen):  # noqa: ASYNC110 (filled by the watcher)
        await asyncio.sleep(0.05)
