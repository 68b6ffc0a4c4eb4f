"""The broker goes down while the API takes writes: every write still succeeds (the outbox
holds its events), and once the broker is back the relay drains the backlog, losing nothing.

``LANA_OUTAGE_WRITES`` sets the number of API writes (default 300; the full run is 3,000):
LANA_OUTAGE_WRITES=3000 uv run --no-sync pytest tests/integration/messaging/test_broker_outage.py -s
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from attrs import evolve
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.sql import SqlOutboxRelayStore, SqlSettings, create_engine_from
from lana_adapters.sql.tables import outbox
from lana_http import create_app
from tests.e2e.api import Api
from tests.e2e.conftest import http_settings, make_container
from tests.integration.messaging.broker import bind, depth, read
from tests.integration.messaging.proxy import BrokerProxy
from tests.integration.messaging.running import until_drained
from tests.integration.sql.databases import empty_tables, postgres_database, postgres_unavailable

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.slow]
WRITES = int(os.environ.get("LANA_OUTAGE_WRITES", "300"))
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def database_url() -> str:
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)
    return postgres_database()


async def _write_customers(proxy: BrokerProxy, database_url: str, store: SqlOutboxRelayStore) -> list[int]:
    """POST ``WRITES`` customers through the app (the relay runs in its own process, as
    deployed); the broker dies once the first tenth went out."""
    statuses: list[int] = []
    async with AsyncTestClient(create_app(make_container(database_url), http_settings())) as client:
        api = await Api.signup(client)
        for n in range(WRITES):
            if n == WRITES // 10:
                await until_drained(store, within=60)  # the relay is live and publishing
                proxy.down()
            response = await api.post("/customers", json={"name": f"Customer {n}"})
            statuses.append(response.status_code)
    return statuses


async def test_writes_succeed_while_the_broker_is_down_and_the_backlog_drains_after(
    messaging: MessagingSettings, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine_from(SqlSettings(url=database_url))
    await empty_tables(engine)
    store = SqlOutboxRelayStore(engine)
    queue = await asyncio.to_thread(bind, messaging, "#")
    with BrokerProxy(messaging.broker_url) as proxy:
        monkeypatch.setenv("LANA_BROKER_URL", proxy.url)  # the app relays through the broker, not in-process
        settings = evolve(messaging, broker_url=proxy.url, relay_lease_seconds=0.5)
        relay = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.messaging.relay_process",
            env={
                **os.environ,
                **settings.as_env(),
                "LANA_DATABASE_URL": database_url,
                "PYTHONPATH": str(ROOT),
            },
            cwd=ROOT,
        )
        try:
            statuses = await _write_customers(proxy, database_url, store)
            backlog = await store.pending_count()
            proxy.up()
            await until_drained(store, within=120)
        finally:
            relay.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(relay.wait(), timeout=30) == 0
    async with engine.connect() as conn:
        written = {str(i) for i in (await conn.execute(select(outbox.c.id))).scalars()}
    await engine.dispose()
    messages = await asyncio.to_thread(read, messaging, queue, len(written), 30.0)
    left_over = await asyncio.to_thread(depth, messaging, queue)
    received = {m.properties["message_id"] for m in messages}
    report = {
        "writes": WRITES,
        "succeeded": statuses.count(201),
        "backlog_at_recovery": backlog,
        "lost": len(written - received),
        "unexpected": len(received - written) + left_over,
    }
    print(f"\nbroker outage: {report}")  # the figures the docs quote
    assert statuses == [201] * WRITES
    assert backlog == WRITES - WRITES // 10  # nothing written during the outage got out
    assert report["lost"] == 0
    assert report["unexpected"] == 0
