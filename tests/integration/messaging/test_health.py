"""What a probe reads: the workers' heartbeat file, the outbox lag and the dead-letter queue's size."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lana_adapters.messaging._kombu import Connection
from lana_adapters.messaging.health import (
    HeartbeatFile,
    dlq_size,
    heartbeat_age,
    memory_outbox_lag,
    sql_outbox_lag,
)
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.topology import Topology
from lana_core.memory import InMemoryStore
from lana_core.system import SystemClock
from tests.integration.messaging.backends import BACKENDS, Backend
from tests.integration.messaging.events import event
from tests.support import make_kernel


def test_a_touched_heartbeat_file_is_fresh_and_a_missing_one_has_no_age(tmp_path: Path) -> None:
    path = tmp_path / "alive"
    assert heartbeat_age(path) is None
    HeartbeatFile(path).touch()
    age = heartbeat_age(path)
    assert age is not None
    assert age < 5


@pytest.mark.parametrize("backend", BACKENDS[1:], indirect=True)
async def test_outbox_lag_counts_pending_rows_and_the_oldest_wait(backend: Backend) -> None:
    assert backend.engine is not None
    empty = await sql_outbox_lag(backend.engine, SystemClock(), role="lana_relay")
    assert (empty.pending, empty.oldest_age_seconds) == (0, None)
    waiting = event()
    async with backend.kernel.uow(waiting.tenant_id) as uow:
        await uow.outbox.append([waiting])
        await uow.commit()
    lag = await sql_outbox_lag(backend.engine, SystemClock(), role="lana_relay")
    assert lag.pending == 1
    assert lag.oldest_age_seconds is not None


async def test_in_memory_outbox_lag() -> None:
    store = InMemoryStore()
    waiting = event()
    async with make_kernel(store=store).uow(waiting.tenant_id) as uow:
        await uow.outbox.append([waiting])
        await uow.commit()
    assert memory_outbox_lag(store, SystemClock()).pending == 1


@pytest.mark.rabbitmq
async def test_the_dead_letter_queue_size_is_read_from_the_broker(messaging: MessagingSettings) -> None:
    def declare() -> None:
        with Connection(messaging.broker_url) as conn:
            Topology.of(messaging).declare(conn).close()

    await asyncio.to_thread(declare)
    assert await asyncio.to_thread(dlq_size, messaging) == 0
