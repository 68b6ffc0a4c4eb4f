"""Running a worker for the length of a test block, and publishing what it should receive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from lana_adapters.messaging.publisher import KombuEventPublisher
from lana_adapters.messaging.settings import MessagingSettings
from lana_core.domain.events import DomainEvent
from lana_core.ports import OutboxRelayStore


class Runnable(Protocol):
    async def run(self, stop: asyncio.Event) -> None: ...


@asynccontextmanager
async def running(worker: Runnable) -> AsyncIterator[asyncio.Event]:
    """Run ``worker`` in the background; stop it (and surface its errors) when the block ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def until(
    condition: Callable[[], Any], within: float = 10.0, what: Callable[[], object] = lambda: ""
) -> None:
    """Wait until ``condition()`` is truthy; fails the test after ``within`` seconds, showing ``what()``."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within}s {what()}")
        await asyncio.sleep(0.02)


async def publish(settings: MessagingSettings, events: Sequence[DomainEvent]) -> None:
    publisher = KombuEventPublisher(settings)
    try:
        await publisher.publish(events)
    finally:
        await publisher.close()


async def until_drained(store: OutboxRelayStore, within: float = 30.0) -> None:
    """Wait until the relay left no row pending."""
    deadline = time.monotonic() + within
    while await store.pending_count():
        if time.monotonic() > deadline:
            raise AssertionError(f"{await store.pending_count()} rows still pending after {within}s")
        await asyncio.sleep(0.02)
