"""Crash soak: customer writes while the relay is killed again and again and the broker drops
every connection; the local receiver, the operator's route (a subscription of the tenant,
delivered like any other), must see each event applied exactly once, in order.

``LANA_SOAK_WRITES`` sets the number of writes (default 1,000; the full run is 10,000).
Reported in the terms of RabbitMQ's Jepsen checker: lost, unexpected, duplicated, recovered.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path
from uuid import UUID

import pytest
from attrs import evolve
from sqlalchemy import select

from lana_adapters.messaging.inbox import SqlInbox
from lana_adapters.messaging.runtime import SubscriptionDatabase, WebhookWorkers
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_adapters.sql.tables import outbox, webhook_deliveries
from lana_core.domain.tenancy import Actor
from lana_core.ports import OutboxRelayStore
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import (
    CreateCustomer,
    CreateCustomerHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)
from tests.integration.messaging.backends import SQL_BACKENDS, Backend
from tests.integration.messaging.broker import close_all_connections
from tests.integration.messaging.checker import order_inversions
from tests.integration.messaging.one_path import FAST
from tests.integration.messaging.receiver import Receiver
from tests.integration.messaging.running import running, until, until_drained
from tests.support import make_tenant

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]
WRITES = int(os.environ.get("LANA_SOAK_WRITES", "1000"))
ROOT = Path(__file__).resolve().parents[3]


async def _write(kernel: Kernel, admin: Actor, writes: int, rng: random.Random) -> None:
    """A quarter creates, the rest edits of customers created earlier (several versions each)."""
    create, update = CreateCustomerHandler(kernel), UpdateCustomerHandler(kernel)
    customers: list[UUID] = []
    for n in range(writes):
        if n % 4 == 0 or not customers:
            customers.append((await create(admin, CreateCustomer(name=f"Customer {n}"))).id)
        else:
            await update(admin, UpdateCustomer(customer_id=rng.choice(customers[-50:]), notes=f"note {n}"))
        if n % 20 == 0:
            await asyncio.sleep(0)  # let the chaos in


MIN_KILLS = 3


class Chaos:
    """Kills the relay process at random moments (SIGKILL: no clean stop) and drops connections."""

    def __init__(
        self,
        settings: MessagingSettings,
        database_url: str,
        store: OutboxRelayStore,
        rng: random.Random,
        directory: Path,
    ) -> None:
        self._store = store
        self._directory = directory
        self._env = {
            **os.environ,
            **settings.as_env(),
            "LANA_DATABASE_URL": database_url,
            "PYTHONPATH": str(ROOT),
        }
        self._rng = rng
        self._relay: asyncio.subprocess.Process | None = None
        self._heartbeat: Path | None = None
        self._dropping: set[asyncio.Task[None]] = set()
        self.kills = 0
        self.drops = 0

    async def start_relay(self) -> None:
        # A new file per relay: it exists once that relay's loop runs (and its signal handlers are in).
        self._heartbeat = self._directory / f"relay-{self.kills}.heartbeat"
        self._relay = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.messaging.relay_process",
            env={**self._env, "LANA_HEALTH_FILE": str(self._heartbeat)},
            cwd=ROOT,
        )

    async def kill_relay(self) -> None:
        assert self._relay is not None
        self._relay.kill()
        await self._relay.wait()
        self.kills += 1

    async def stop_relay(self) -> None:
        """Ask the relay to stop once it runs: a SIGTERM during its imports, before it could
        handle one, would end it like a kill."""
        assert self._relay is not None
        assert self._heartbeat is not None
        heartbeat = self._heartbeat
        await until(heartbeat.exists, within=30, what=lambda: f"no heartbeat at {heartbeat}")
        self._relay.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(self._relay.wait(), timeout=30) == 0

    async def run_while(self, busy: asyncio.Task[None], *, at_least: int = MIN_KILLS) -> None:
        """Kill the relay again and again while ``busy`` runs, and ``at_least`` times in all:
        a fast machine must not finish the writes before the chaos has had its turn."""
        while not busy.done() or self.kills < at_least:
            await self._until_publishing(busy)
            await asyncio.sleep(self._rng.uniform(0, 0.03))  # most kills land mid-batch
            await self.kill_relay()
            await self.start_relay()
            if self.kills % 3 == 2 and not self._dropping:
                self._dropping.add(asyncio.create_task(self._drop()))
        await asyncio.gather(*self._dropping)

    async def _drop(self) -> None:
        if await asyncio.to_thread(close_all_connections):
            self.drops += 1
        self._dropping.clear()

    async def _until_publishing(self, busy: asyncio.Task[None]) -> None:
        """Return once the new relay settles rows (its backlog shrinks), or after a few seconds."""
        before = await self._store.pending_count()
        for _ in range(200):
            await asyncio.sleep(0.01)
            if busy.done() or await self._store.pending_count() < before:
                return


@pytest.mark.parametrize("backend", SQL_BACKENDS, indirect=True)
async def test_crash_soak_loses_nothing_and_applies_each_event_once_in_order(
    backend: Backend, messaging: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    assert backend.engine is not None
    assert backend.database_url is not None
    settings = evolve(
        messaging,
        webhook_routes=(WebhookRoute("#", receiver.url()),),
        relay_lease_seconds=0.5,
        relay_poll_seconds=0.05,
        relay_batch_size=20,
        prefetch=100,
        max_attempts=20,
        publish_max_retries=2,
    )
    rng = random.Random(7)
    admin = await make_tenant(backend.kernel)
    async with SqlInbox(backend.engine) as inbox:
        consumer = WebhookWorkers(
            settings, inbox=inbox, subscriptions=SubscriptionDatabase(backend.engine, None), schedule=FAST
        )
        chaos = Chaos(settings, backend.database_url, backend.store, rng, tmp_path)
        async with running(consumer):
            await until(lambda: consumer.stats.sessions >= 1)
            await chaos.start_relay()
            writing = asyncio.create_task(_write(backend.kernel, admin, WRITES, rng))
            await chaos.run_while(writing)
            await writing
            await until_drained(backend.store, within=120)
            expected = await _written(backend)
            await until(lambda: set(receiver.ids()) >= set(expected), within=400, what=lambda: consumer.stats)
            await chaos.stop_relay()
    report = _report(expected, receiver, consumer, chaos, await _statuses(backend))
    print(f"\ncrash soak ({backend.name}, {WRITES} writes): {report}")  # the figures the docs quote
    assert report["lost"] == 0
    assert report["unexpected"] == 0
    assert report["duplicate_posts"] == 0  # every redelivery was absorbed by the inbox
    assert report["deliveries_given_up"] == 0
    assert report["order_regressions"] == 0
    assert chaos.kills >= MIN_KILLS


async def _written(backend: Backend) -> dict[str, tuple[str, int]]:
    """Every outbox event id -> (aggregate id, version); all of them must be published."""
    assert backend.engine is not None
    query = select(outbox.c.id, outbox.c.aggregate_id, outbox.c.aggregate_version, outbox.c.state)
    async with backend.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    assert {row.state for row in rows} == {"published"}
    return {str(row.id): (str(row.aggregate_id), row.aggregate_version) for row in rows}


async def _statuses(backend: Backend) -> Counter[str]:
    assert backend.engine is not None
    async with backend.engine.connect() as conn:
        return Counter(row.status for row in await conn.execute(select(webhook_deliveries.c.status)))


def _report(
    expected: dict[str, tuple[str, int]],
    receiver: Receiver,
    consumer: WebhookWorkers,
    chaos: Chaos,
    statuses: Counter[str],
) -> dict[str, int]:
    posts = receiver.ids()
    counts = Counter(posts)
    applied: list[str] = list(dict.fromkeys(posts))  # the receiver applies the first request per key
    regressions = order_inversions(applied, expected)
    return {
        "events": len(expected),
        "lost": len(set(expected) - set(counts)),
        "unexpected": len(set(counts) - set(expected)),
        "duplicate_posts": sum(n - 1 for n in counts.values()),
        "absorbed_by_inbox": consumer.stats.duplicates,
        "order_regressions": regressions,
        "relay_kills": chaos.kills,
        "connection_drops": chaos.drops,
        "consumer_sessions": consumer.stats.sessions,
        "retried": consumer.stats.retried,
        "dead_lettered": consumer.stats.dead_lettered,
        "deliveries_given_up": statuses["dead"],
    }
