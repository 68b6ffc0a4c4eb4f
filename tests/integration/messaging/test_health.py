"""What a probe reads: the workers' heartbeat file and the dead-letter queue's size."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from lana_adapters.messaging._kombu import Connection
from lana_adapters.messaging.health import HeartbeatFile, dlq_size
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.topology import Topology


def test_a_touched_heartbeat_file_holds_the_time_of_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "alive"
    HeartbeatFile(path).touch()
    assert abs(time.time() - float(path.read_text())) < 5


@pytest.mark.rabbitmq
async def test_the_dead_letter_queue_size_is_read_from_the_broker(messaging: MessagingSettings) -> None:
    def declare() -> None:
        with Connection(messaging.broker_url) as conn:
            Topology.of(messaging).declare(conn).close()

    await asyncio.to_thread(declare)
    assert await asyncio.to_thread(dlq_size, messaging) == 0
