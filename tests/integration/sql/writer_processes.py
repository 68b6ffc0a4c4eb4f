"""Work run in child processes by the tests of SQLite writers across processes (spawned, so
each child has its own interpreter, engine and connections, as a server's workers do)."""

from __future__ import annotations

import asyncio
import multiprocessing.synchronize
from typing import Any

from lana_adapters.sql import SqlOutboxRelayStore, SqlSettings, SqlUnitOfWorkFactory, create_engine_from
from lana_adapters.sql.engine import options_of
from lana_core.domain.tenancy import Actor
from lana_core.errors import LanaError
from lana_core.memory import InMemoryCache
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler


def create_customers(settings: SqlSettings, actor: Actor, tag: str, count: int, lanes: int) -> list[str]:
    """Create ``count`` customers over ``lanes`` concurrent tasks while a relay claims and marks
    their events; returns every error met."""
    return asyncio.run(_create_customers(settings, actor, tag, count, lanes))


def hold_write_lock(url: str, held: multiprocessing.synchronize.Event, release: Any) -> None:
    """Take the database's write turn, say so through ``held``, keep it until ``release`` is set."""
    asyncio.run(_hold_write_lock(url, held, release))


async def _create_customers(
    settings: SqlSettings, actor: Actor, tag: str, count: int, lanes: int
) -> list[str]:
    engine = create_engine_from(settings)
    kernel = Kernel(
        uow=SqlUnitOfWorkFactory(engine), clock=SystemClock(), ids=TimeOrderedIds(), cache=InMemoryCache()
    )
    create, errors, numbers = CreateCustomerHandler(kernel), list[str](), iter(range(count))
    done = asyncio.Event()

    async def lane() -> None:
        for number in numbers:
            try:
                await create(
                    actor, CreateCustomer(name=f"{tag} {number}", email=f"{tag}-{number}@example.com")
                )
            except LanaError as error:
                errors.append(f"create: {error!r}")

    relay = asyncio.create_task(_relay(SqlOutboxRelayStore(engine), done, errors))
    try:
        await asyncio.gather(*(lane() for _ in range(lanes)))
    finally:
        done.set()
        await relay
        await engine.dispose()
    return errors


async def _relay(store: SqlOutboxRelayStore, done: asyncio.Event, errors: list[str]) -> None:
    while not done.is_set():
        try:
            claimed = await store.claim(50, 30.0)
            await store.mark_published([record.event.id for record in claimed])
        except LanaError as error:
            errors.append(f"relay: {error!r}")
        await asyncio.sleep(0.01)


async def _hold_write_lock(url: str, held: multiprocessing.synchronize.Event, release: Any) -> None:
    engine = create_engine_from(SqlSettings(url=url))
    queue = options_of(engine).writers
    assert queue is not None
    await queue.enter()
    held.set()
    await asyncio.to_thread(release.wait)
    queue.leave()
    await engine.dispose()
