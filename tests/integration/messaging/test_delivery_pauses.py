"""How long deliveries pause, with the shipped settings, after the two interruptions a deployment
sees most: a relay process killed and another started, and the broker away and back.

Real ``lana relay`` and ``lana consume`` processes, real RabbitMQ (taken away through a TCP
proxy, so other clients of the broker are untouched) and PostgreSQL. The figures are
printed (``-s``); the bounds are generous, to catch a return of the 10 s (one old lease) and
up to 30 s (the old backoff ceiling) pauses without being a timing benchmark.

``LANA_OUTAGE_SECONDS`` sets how long the broker stays away (default 15: long enough for
a reconnect backoff without a low ceiling to grow to tens of seconds).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from attrs import evolve
from sqlalchemy import func, select

from lana_adapters.messaging.inbox_table import inbox
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_core.domain.events import DomainEvent
from lana_core.usecases._base import Kernel
from tests.integration.messaging.backends import Backend, open_backend
from tests.integration.messaging.broker import bind
from tests.integration.messaging.deployed import lana
from tests.integration.messaging.events import event
from tests.integration.messaging.proxy import BrokerProxy
from tests.integration.messaging.receiver import Receiver
from tests.integration.messaging.running import publish, until, until_drained
from tests.support import make_tenant

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.slow]
OUTAGE_SECONDS = float(os.environ.get("LANA_OUTAGE_SECONDS", "15"))
BOUND_SECONDS = 6.0  # generous: the settings aim at 2 s; the old ones took 10 to 30
HELD = 40


def shipped(messaging: MessagingSettings, **changes: Any) -> MessagingSettings:
    """The default settings (lease, backoff, retries, timeouts) on this test's exchange and queue."""
    values: dict[str, Any] = {
        "broker_url": messaging.broker_url,
        "exchange": messaging.exchange,
        "queue": messaging.queue,
    }
    return evolve(MessagingSettings(), **{**values, **changes})


def worker_env(settings: MessagingSettings, database_url: str) -> dict[str, str]:
    return {**settings.as_env(), "LANA_DATABASE_URL": database_url, "LANA_LOG_FORMAT": "json"}


async def _write(kernel: Kernel, tenant_id: UUID, count: int) -> list[DomainEvent]:
    written = [event(tenant_id=tenant_id) for _ in range(count)]
    async with kernel.uow(tenant_id) as uow:
        await uow.outbox.append(written)
        await uow.commit()
    return written


async def _leased(backend: Backend) -> int:
    """Pending rows some relay holds a lease on."""
    from lana_adapters.sql.tables import outbox

    assert backend.engine is not None
    query = select(func.count()).where(outbox.c.state == "pending", outbox.c.leased_until > func.now())
    async with backend.engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def _published(backend: Backend, events: list[DomainEvent]) -> bool:
    states = [(await backend.row(e.id))[0] for e in events]
    return states == ["published"] * len(events)


async def _seconds_until(condition: Callable[[], Any], within: float = 60.0) -> float:
    """Seconds until ``condition()`` holds (awaited when it returns an awaitable)."""
    started = time.monotonic()
    while not await _value(condition()):
        assert time.monotonic() - started < within, f"not within {within}s"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


async def _value(answer: Any) -> Any:
    return await answer if inspect.isawaitable(answer) else answer


def _logged(log: Path, text: str) -> bool:
    return log.exists() and text in log.read_text(errors="replace")


async def test_a_new_relay_publishes_at_once_and_a_killed_ones_rows_within_a_lease(
    messaging: MessagingSettings, tmp_path: Path
) -> None:
    await asyncio.to_thread(bind, messaging, "#")
    async with open_backend("postgres") as backend:
        assert backend.database_url is not None
        admin = await make_tenant(backend.kernel)
        with BrokerProxy(messaging.broker_url) as proxy:
            proxy.down()  # the first relay claims a batch and keeps it while it fails to publish
            first = shipped(messaging, broker_url=proxy.url)
            second = shipped(messaging)
            async with lana(
                ["relay"], worker_env(first, backend.database_url), tmp_path / "first.log"
            ) as doomed:
                held = await _write(backend.kernel, admin.tenant_id, HELD)
                await _seconds_until(lambda: _leased(backend), within=60)
                async with _started_relay(second, backend.database_url, tmp_path / "second.log") as started:
                    fresh_after, kept, held_after = await _kill_the_first(backend, doomed, held)
                    await until_drained(backend.store)
    figures = {
        "process_start": started(),
        "new_event_published": fresh_after,
        "killed_relays_rows": held_after,
    }
    print(f"\nrelay restart after SIGKILL, seconds: { {k: round(v, 2) for k, v in figures.items()} }")
    assert fresh_after < BOUND_SECONDS  # from its commit: the new relay does not wait first
    assert kept
    assert held_after < BOUND_SECONDS  # from the kill: one lease at most


async def _kill_the_first(
    backend: Backend, doomed: asyncio.subprocess.Process, held: list[DomainEvent]
) -> tuple[float, bool, float]:
    """With a second relay started: seconds until it publishes a new event; whether the rows
    the first relay holds stay with it while it lives; seconds from its SIGKILL until they go."""
    fresh = await _write(backend.kernel, held[0].tenant_id, 1)
    fresh_after = await _seconds_until(lambda: _published(backend, fresh))
    await asyncio.sleep(MessagingSettings().relay_lease_seconds * 1.5)
    kept = not await _any_published(backend, held)  # its relay lives: renewed, never taken
    doomed.send_signal(signal.SIGKILL)
    await doomed.wait()
    held_after = await _seconds_until(lambda: _published(backend, held))
    return fresh_after, kept, held_after


@asynccontextmanager
async def _started_relay(
    settings: MessagingSettings, database_url: str, log: Path
) -> AsyncIterator[Callable[[], float]]:
    """A ``lana relay`` that has logged its start; yields how long that took."""
    spawned = time.monotonic()
    async with lana(["relay"], worker_env(settings, database_url), log):
        await until(lambda: _logged(log, "relay started"), within=60)
        took = time.monotonic() - spawned
        yield lambda: took


async def _any_published(backend: Backend, events: list[DomainEvent]) -> bool:
    states = [(await backend.row(e.id))[0] for e in events]
    return "published" in states


async def test_after_the_broker_returns_relay_and_consumers_deliver_within_seconds(
    messaging: MessagingSettings, tmp_path: Path
) -> None:
    with Receiver() as receiver:
        relay_after, consumers_after = await _outage(messaging, receiver, tmp_path)
    figures = {
        "outage": OUTAGE_SECONDS,
        "relay_published": relay_after,
        "consumers_delivered": consumers_after,
    }
    print(f"\nbroker back after an outage, seconds: { {k: round(v, 2) for k, v in figures.items()} }")
    assert relay_after < BOUND_SECONDS
    assert consumers_after < BOUND_SECONDS


async def _outage(messaging: MessagingSettings, receiver: Receiver, tmp_path: Path) -> tuple[float, float]:
    """Seconds after the broker's return until the relay published the events written while it
    was away, and until both consumers delivered one published then."""
    async with open_backend("postgres") as backend:
        assert backend.database_url is not None
        admin = await make_tenant(backend.kernel)
        with BrokerProxy(messaging.broker_url) as proxy:
            relay = shipped(messaging, broker_url=proxy.url)
            # Two consumers, each on its own queue: each gets a copy of every event (recorded in
            # its inbox once owed to the route), and each backs off on its own, so a pause left
            # by either shows. They share the operator's routes, as every consumer of a database must.
            consumers = [
                evolve(
                    relay,
                    queue=f"{messaging.queue}.{n}",
                    webhook_routes=(WebhookRoute("#", receiver.url("/c")),),
                )
                for n in range(2)
            ]
            async with (
                lana(["consume"], worker_env(consumers[0], backend.database_url), tmp_path / "consumer0.log"),
                lana(["consume"], worker_env(consumers[1], backend.database_url), tmp_path / "consumer1.log"),
                lana(["relay"], worker_env(relay, backend.database_url), tmp_path / "relay.log"),
            ):
                for consumer in consumers:
                    await _until_declared(consumer)
                await _write(backend.kernel, admin.tenant_id, 1)
                await until_drained(backend.store, within=60)
                await until(lambda: len(receiver.received) >= 1, within=30)  # the consumers deliver

                proxy.down()
                await asyncio.sleep(OUTAGE_SECONDS / 2)
                during = await _write(backend.kernel, admin.tenant_id, 5)  # the relay keeps trying
                await asyncio.sleep(OUTAGE_SECONDS / 2)
                probe = event(tenant_id=admin.tenant_id)
                await publish(evolve(relay, broker_url=messaging.broker_url), [probe])  # waits for them
                proxy.up()
                relay_after, consumers_after = await asyncio.gather(
                    _seconds_until(lambda: _published(backend, during)),
                    _seconds_until(lambda: _reached_both(backend, consumers, receiver, probe)),
                )
    direct = [evolve(consumer, broker_url=messaging.broker_url) for consumer in consumers]
    await asyncio.to_thread(_delete_queues, direct)
    return relay_after, consumers_after


async def _reached_both(
    backend: Backend, consumers: list[MessagingSettings], receiver: Receiver, sent: DomainEvent
) -> bool:
    """Both consumers took the event (their inbox holds it) and the route received it."""
    assert backend.engine is not None
    query = select(inbox.c.consumer).where(inbox.c.event_id == sent.id)
    async with backend.engine.connect() as conn:
        took = {row.consumer for row in await conn.execute(query)}
    called = any(r.event_id == str(sent.id) for r in receiver.received)
    return called and took >= {consumer.consumer_name for consumer in consumers}


async def _until_declared(settings: MessagingSettings) -> None:
    """Wait until the consumer declared its queue (events published before would be unroutable)."""
    from tests.integration.messaging.broker import depth

    async def declared() -> bool:
        try:
            await asyncio.to_thread(depth, settings, settings.queue)
        except Exception:
            return False
        return True

    await _seconds_until(declared, within=180)  # three processes starting on a loaded machine


def _delete_queues(consumers: list[MessagingSettings]) -> None:
    from tests.integration.messaging.broker import delete

    for consumer in consumers:
        delete(consumer)
