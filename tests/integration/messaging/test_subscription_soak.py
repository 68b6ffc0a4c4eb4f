"""Crash soak of webhook subscriptions: customer writes while the worker delivering them
(``lana consume`` with subscriptions, in its own process) is SIGKILLed again and again and the
receiver goes down now and then. A receiver that de-duplicates by ``webhook-id`` must apply
every event once, none lost, none out of order per aggregate.

``LANA_SUBSCRIPTION_SOAK_WRITES`` sets the number of writes (default 300).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from attrs import evolve
from sqlalchemy import select

from lana_adapters.messaging.runtime import run_relay
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.sql.tables import outbox
from lana_core.app import Lana
from lana_core.domain import webhook_signing
from lana_core.usecases.webhooks import CreateWebhook
from lana_testing.support import FAST_HASHER
from tests.integration.messaging.backends import SQL_BACKENDS, Backend
from tests.integration.messaging.checker import order_inversions
from tests.integration.messaging.receiver import Received, Receiver
from tests.integration.messaging.running import until, until_drained
from tests.integration.messaging.test_soak import _write
from tests.support import make_tenant

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]
WRITES = int(os.environ.get("LANA_SUBSCRIPTION_SOAK_WRITES", "300"))
ROOT = Path(__file__).resolve().parents[3]
MIN_KILLS = int(os.environ.get("LANA_SOAK_MIN_KILLS", "3"))
# How long a new worker may take to make its first call before it is killed anyway (it may
# have nothing left to send).
FIRST_CALL_WITHIN = 30.0


class DeduplicatingReceiver:
    """Answers 503 while ``down``; otherwise checks the signature (a request cut short by a
    killed worker fails it: 401, not applied), then applies the request unless its
    ``webhook-id`` was applied before (then it only answers 200), recording the body's event
    id as applied."""

    def __init__(self) -> None:
        self.down = False
        self.secret = ""
        self.applied: list[str] = []  # event ids from the bodies, in the order applied
        self.requests = 0  # every request, answered or not
        self.repeats = 0  # requests whose webhook-id was applied already
        self.refused = 0  # requests whose signature did not verify
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, request: Received, _seen: int) -> int:
        self.requests += 1
        if self.down:
            return 503
        if not webhook_signing.verify(self.secret, request.headers, request.body, now=time.time()):
            self.refused += 1
            return 401
        with self._lock:
            key = request.headers["webhook-id"]
            if key in self._seen:
                self.repeats += 1
            else:
                self._seen.add(key)
                self.applied.append(str(request.document()["id"]))
        return 200


class Chaos:
    """Kills the worker process at random moments (SIGKILL: mid-call, mid-record) and takes the
    receiver down for short spells."""

    def __init__(
        self,
        settings: MessagingSettings,
        receiver: DeduplicatingReceiver,
        rng: random.Random,
        directory: Path,
        database_url: str,
    ) -> None:
        self._env = {
            **os.environ,
            **settings.as_env(),
            "LANA_DATABASE_URL": database_url,
            "PYTHONPATH": str(ROOT),
        }
        self._directory = directory
        self._heartbeat: Path | None = None
        self._receiver = receiver
        self._rng = rng
        self._worker: asyncio.subprocess.Process | None = None
        self.kills = 0
        self.outages = 0

    async def start_worker(self) -> None:
        # A new file per worker: it exists once that worker's loop runs.
        self._heartbeat = self._directory / f"worker-{self.kills}.heartbeat"
        self._worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.integration.messaging.consumer_process",
            env={**self._env, "LANA_HEALTH_FILE": str(self._heartbeat)}, cwd=ROOT,
        )  # fmt: skip

    async def until_working(self) -> None:
        heartbeat = self._heartbeat
        assert heartbeat is not None
        await until(heartbeat.exists, within=60, what=lambda: f"no heartbeat at {heartbeat}")

    async def until_calling(self) -> None:
        """Until the receiver hears from the new worker (or it has nothing to send). A new
        worker's first call comes well after its heartbeat on a busy machine, and on PostgreSQL
        later still (new connections, each a server process): killed at random right after its
        heartbeat, worker after worker would die before its first call, and every delivery
        would wait for a worker that lives long enough."""
        heard = self._receiver.requests
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FIRST_CALL_WITHIN):
                while self._receiver.requests == heard:  # noqa: ASYNC110 (counted in the receiver's thread)
                    await asyncio.sleep(0.05)

    async def kill_worker(self) -> None:
        assert self._worker is not None
        if self._worker.returncode is None:
            self._worker.kill()
        await self._worker.wait()
        self.kills += 1

    async def run_until(self, done: asyncio.Event) -> None:
        while not done.is_set() or self.kills < MIN_KILLS:
            await self.until_working()  # a kill during its imports would test nothing
            await self.until_calling()  # nor would one before it sends anything
            await asyncio.sleep(self._rng.uniform(0.2, 2.0))
            await self.kill_worker()
            if self._rng.random() < 0.5:
                self._receiver.down = True
                self.outages += 1
                await asyncio.sleep(self._rng.uniform(0.2, 1.5))
                self._receiver.down = False
            await self.start_worker()


@pytest.mark.parametrize("backend", SQL_BACKENDS, indirect=True)
async def test_subscription_soak_loses_nothing_and_applies_each_event_once_in_order(
    backend: Backend, messaging: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    assert backend.database_url is not None
    settings = evolve(
        messaging,
        webhook_routes=(),
        webhook_allow_private=True,
        webhook_timeout_seconds=2,  # leases of 6 s: a killed worker's deliveries go out again soon
        relay_poll_seconds=0.05,
    )
    deduplicating = DeduplicatingReceiver()
    receiver.script("/subscription", deduplicating)
    admin = await make_tenant(backend.kernel)
    lana = Lana(backend.kernel, hasher=FAST_HASHER, webhook_urls_may_be_private=True)
    wanted = CreateWebhook(url=receiver.url("/subscription"), event_types=["customer.*"])
    deduplicating.secret = (await lana.create_webhook(admin, wanted)).secret
    rng = random.Random(11)
    chaos = Chaos(settings, deduplicating, rng, tmp_path, backend.database_url)
    stop, delivered = asyncio.Event(), asyncio.Event()
    relay = asyncio.create_task(run_relay(settings, stop, store=backend.store))
    await chaos.start_worker()
    await chaos.until_working()  # its queue is declared: no event goes by before it
    chaotic = asyncio.create_task(chaos.run_until(delivered))
    try:
        await _write(backend.kernel, admin, WRITES, rng)
        await until_drained(backend.store, within=120)
        expected = await _customer_events(backend)
        await until(
            # A chaos that failed (a worker with no heartbeat) ends the wait: awaited below, it says why.
            lambda: chaotic.done() or set(deduplicating.applied) >= set(expected),
            within=float(os.environ.get("LANA_SOAK_WITHIN", "400")),
            what=lambda: f"{len(set(deduplicating.applied))} of {len(expected)} applied",
        )
        delivered.set()
        await chaotic
    finally:
        chaotic.cancel()  # on a failure too: no worker outlives the test
        await chaos.kill_worker()
        stop.set()
        await relay
    report = _report(expected, deduplicating, chaos)
    print(f"\nsubscription soak ({backend.name}, {WRITES} writes): {report}")  # the figures the docs quote
    assert report["lost"] == 0
    assert report["unexpected"] == 0
    assert report["applied_twice"] == 0
    assert report["order_inversions"] == 0
    assert chaos.kills >= MIN_KILLS


async def _customer_events(backend: Backend) -> dict[str, tuple[str, int]]:
    """Every customer event id -> (aggregate id, version): what the subscription wants."""
    assert backend.engine is not None
    query = select(outbox.c.id, outbox.c.type, outbox.c.aggregate_id, outbox.c.aggregate_version)
    async with backend.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return {
        str(row.id): (str(row.aggregate_id), row.aggregate_version)
        for row in rows
        if row.type.startswith("customer.")
    }


def _report(
    expected: dict[str, tuple[str, int]], receiver: DeduplicatingReceiver, chaos: Chaos
) -> dict[str, int]:
    counts = Counter(receiver.applied)
    return {
        "events": len(expected),
        "lost": len(set(expected) - set(counts)),
        "unexpected": len(set(counts) - set(expected)),
        "applied_twice": sum(n - 1 for n in counts.values()),  # a repeat under another webhook-id
        "repeats_deduplicated": receiver.repeats,
        "refused_unsigned": receiver.refused,
        "order_inversions": order_inversions(receiver.applied, expected),
        "worker_kills": chaos.kills,
        "receiver_outages": chaos.outages,
    }
