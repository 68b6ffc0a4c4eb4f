"""SQLite writers of several processes take turns at one lock file instead of racing SQLite's
busy handler: none starves past the busy timeout, and a turn held elsewhere times out cleanly."""

from __future__ import annotations

import asyncio
import fcntl
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql import SqlSettings, create_engine_from
from lana_adapters.sql.tables import customers, outbox
from lana_adapters.sql.writers import LOCK_SUFFIX
from lana_core.errors import Unavailable
from lana_core.memory import ManualClock
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from tests.integration.sql.databases import kernel_on, sqlite_database
from tests.integration.sql.writer_processes import create_customers, hold_write_lock
from tests.support import make_tenant

PER_PROCESS = 60
LANES = 8
SPAWN = multiprocessing.get_context("spawn")


async def _count(engine: AsyncEngine, statement: object) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(statement)).scalar_one())  # type: ignore[call-overload]


async def test_two_processes_creating_customers_at_once_all_succeed(
    tmp_path: Path, clock: ManualClock
) -> None:
    # Half a second is about twice the longest wait for a turn here (16 writers and two
    # relays in line), and shorter than the waits SQLite's busy handler alone left some
    # writers of one process in while the other wrote again and again.
    settings = SqlSettings(url=sqlite_database(tmp_path), busy_timeout_ms=500)
    engine = create_engine_from(settings)
    try:
        admin = await make_tenant(kernel_on(engine, clock))
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(2, mp_context=SPAWN) as pool:
            errors = await asyncio.gather(
                *(
                    loop.run_in_executor(pool, create_customers, settings, admin, tag, PER_PROCESS, LANES)
                    for tag in ("north", "south")
                )
            )

        assert errors == [[], []]
        assert await _count(engine, select(func.count()).select_from(customers)) == 2 * PER_PROCESS
        created = select(func.count()).where(outbox.c.type == "customer.created")
        assert await _count(engine, created) == 2 * PER_PROCESS
    finally:
        await engine.dispose()


async def test_a_writer_gives_up_after_the_busy_timeout_while_another_process_writes(
    tmp_path: Path, clock: ManualClock
) -> None:
    url = sqlite_database(tmp_path)
    engine = create_engine_from(SqlSettings(url=url, busy_timeout_ms=300))
    held, release = SPAWN.Event(), SPAWN.Event()
    holder = SPAWN.Process(target=hold_write_lock, args=(url, held, release))
    try:
        kernel = kernel_on(engine, clock)
        admin = await make_tenant(kernel)
        holder.start()
        assert await asyncio.to_thread(held.wait, 60)
        create = CreateCustomerHandler(kernel)

        started = time.monotonic()
        with pytest.raises(Unavailable):
            await create(admin, CreateCustomer(name="Ada", email="ada@example.com"))
        assert 0.3 <= time.monotonic() - started < 3.0

        release.set()
        await asyncio.to_thread(holder.join, 30)
        assert await _lock_is_free_within(tmp_path / "lana.db", seconds=2.0)
        assert (tmp_path / f"lana.db{LOCK_SUFFIX}").stat().st_mode & 0o777 == 0o600
        await create(admin, CreateCustomer(name="Ada", email="ada@example.com"))
        assert await _count(engine, select(func.count()).select_from(customers)) == 1
    finally:
        release.set()
        holder.join(30)
        await engine.dispose()


async def _lock_is_free_within(database: Path, *, seconds: float) -> bool:
    """Whether another opener gets the write lock in time: nobody, not even a thread of a
    waiter that gave up, keeps it once its holder let go."""
    fd = os.open(f"{database}{LOCK_SUFFIX}", os.O_RDWR)
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                await asyncio.sleep(0.01)
                continue
            fcntl.flock(fd, fcntl.LOCK_UN)
            return True
        return False
    finally:
        os.close(fd)
