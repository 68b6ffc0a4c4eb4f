"""The ``lana consume`` process is SIGKILLed in the middle of calls to the operator's route,
again and again: each event still has exactly one effect (one inbox row, one delivery, one
applied request at the receiver), and every request carries the event id the receiver
dedupes on. A killed process's calls go out again once their lease ends.

``LANA_CONSUMER_KILLS`` sets the number of kills (default 10; the full run is 50):
LANA_CONSUMER_KILLS=50 uv run --no-sync pytest tests/integration/messaging/test_consumer_kills.py -s
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from sqlalchemy import Row, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.messaging.inbox_table import inbox
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_adapters.messaging.topology import Topology
from lana_adapters.sql import SqlSettings, create_engine_from
from lana_adapters.sql.tables import webhook_deliveries
from lana_adapters.sql.uow import SqlUnitOfWorkFactory
from lana_core.domain.events import CUSTOMER_UPDATED
from lana_core.memory import NoCache
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_testing.support import make_tenant
from tests.integration.messaging.broker import depth
from tests.integration.messaging.events import event
from tests.integration.messaging.receiver import Received, Receiver
from tests.integration.messaging.running import publish, until
from tests.integration.sql.databases import postgres_database, postgres_unavailable

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.slow]
KILLS = int(os.environ.get("LANA_CONSUMER_KILLS", "10"))
EVENTS = 40 + 4 * KILLS  # enough that calls are still going on at the last kill
ROOT = Path(__file__).resolve().parents[3]


class SlowCalls:
    """A receiver script whose calls take a while, counting the calls in progress."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._lock = threading.Lock()
        self.in_progress = 0

    def __call__(self, _request: Received, _seen: int) -> int:
        with self._lock:
            self.in_progress += 1
        try:
            time.sleep(self._seconds)
        finally:
            with self._lock:
                self.in_progress -= 1
        return 200


class ConsumerProcess:
    def __init__(self, settings: MessagingSettings, database_url: str) -> None:
        self._env = {
            **os.environ,
            **settings.as_env(),
            "LANA_DATABASE_URL": database_url,
            "PYTHONPATH": str(ROOT),
        }
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.integration.messaging.consumer_process", env=self._env, cwd=ROOT
        )

    async def kill(self) -> None:
        assert self._process is not None
        self._process.kill()
        await self._process.wait()

    async def kill_if_running(self) -> None:
        """No process outlives a failed test (its database is dropped under it)."""
        if self._process is not None and self._process.returncode is None:
            await self.kill()

    async def stop(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(self._process.wait(), timeout=30) == 0


async def _queue_declared(settings: MessagingSettings) -> None:
    queue = Topology.of(settings).queue
    deadline = time.monotonic() + 120  # a process starting on a loaded machine
    while True:
        try:
            await asyncio.to_thread(depth, settings, queue)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def _until_recorded(engine: AsyncEngine, consumer: str, count: int) -> list[Row[Any]]:
    """The consumer's inbox rows, once there are ``count`` of them (or after 30 seconds)."""
    query = select(inbox.c.event_id).where(inbox.c.consumer == consumer)
    deadline = time.monotonic() + 30
    while True:
        async with engine.connect() as conn:
            rows = list((await conn.execute(query)).all())
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.05)


async def test_a_consumer_killed_mid_call_applies_each_event_once(
    messaging: MessagingSettings, receiver: Receiver
) -> None:
    if (reason := postgres_unavailable()) is not None:
        pytest.skip(reason)
    database_url = postgres_database()
    engine = create_engine_from(SqlSettings(url=database_url))
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM inbox"))
    kernel = Kernel(
        uow=SqlUnitOfWorkFactory(engine), clock=SystemClock(), ids=TimeOrderedIds(), cache=NoCache()
    )
    tenant = (await make_tenant(kernel, slug=f"kills{random.randrange(10**6)}")).tenant_id
    calls = SlowCalls(0.4)
    receiver.script("/hook", calls)
    settings = evolve(
        messaging,
        webhook_routes=(WebhookRoute("#", receiver.url("/hook")),),
        webhook_timeout_seconds=5,  # leases of 15 s: a killed process's calls go out again then
        lanes=2,
        max_attempts=20,
    )
    consumer = ConsumerProcess(settings, database_url)
    await consumer.start()
    try:
        await _queue_declared(settings)
        sent = [event(type=CUSTOMER_UPDATED, tenant_id=tenant) for _ in range(EVENTS)]
        await publish(settings, sent)
        rng = random.Random(8)
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(0, 0.3))
            await until(lambda: calls.in_progress > 0, within=120)
            await consumer.kill()  # mid-call: the effect may have happened, the ack has not
            await consumer.start()
        expected = {str(e.id) for e in sent}
        await until(lambda: set(receiver.ids()) >= expected, within=240)
        rows = await _until_recorded(engine, settings.queue, EVENTS)
        await consumer.stop()
        async with engine.connect() as conn:
            owed = select(webhook_deliveries.c.event_id).where(webhook_deliveries.c.tenant_id == tenant)
            deliveries = Counter(str(row.event_id) for row in await conn.execute(owed))
    finally:
        await consumer.kill_if_running()
    await engine.dispose()
    posts = Counter(receiver.ids())
    recorded = Counter(str(row.event_id) for row in rows)
    print(
        f"\nconsumer kills: {KILLS} kills, {EVENTS} events, {sum(posts.values())} requests, "
        f"{sum(n - 1 for n in posts.values())} repeated requests deduped by the receiver"
    )
    assert all(r.headers.get("x-lana-event-id") == r.event_id for r in receiver.received)
    assert set(posts) == expected  # every effect keyed by its event id, nothing unexpected
    assert sum(n - 1 for n in posts.values()) > 0  # the kills did cut calls short
    assert recorded == Counter(dict.fromkeys(expected, 1))  # one effect per event
    assert deliveries == Counter(dict.fromkeys(expected, 1))  # owed to the route once
