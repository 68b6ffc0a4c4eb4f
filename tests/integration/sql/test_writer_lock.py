"""The lock file SQLite's writers take turns at: a contended turn is waited for by one thread
per lock, kept for the next turn, and gone with the lock."""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from pathlib import Path

import pytest

from lana_adapters.sql.writers import FileLock

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")

TURNS = 25


def _waiting_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "lana-writer-lock"]


async def _take_turns(first: FileLock, second: FileLock) -> tuple[list[str], set[threading.Thread]]:
    """Both locks ask for every turn while the other may hold it: the order they got them,
    and every waiting thread seen meanwhile."""
    order: list[str] = []
    seen: set[threading.Thread] = set()

    async def writer(name: str, lock: FileLock) -> None:
        for _ in range(TURNS):
            await lock.acquire()
            order.append(name)
            seen.update(_waiting_threads())
            await asyncio.sleep(0)  # hold the turn while the other asks
            lock.release()
            await asyncio.sleep(0)

    await asyncio.wait_for(asyncio.gather(writer("a", first), writer("b", second)), timeout=30)
    return order, seen


async def test_contended_turns_reuse_one_waiting_thread_per_lock(tmp_path: Path) -> None:
    before = set(_waiting_threads())
    first, second = FileLock(str(tmp_path / "lana.db")), FileLock(str(tmp_path / "lana.db"))

    order, seen = await _take_turns(first, second)

    assert sorted(order) == ["a"] * TURNS + ["b"] * TURNS
    assert set(order[:TURNS]) == {"a", "b"}  # neither waited out all of the other's turns
    assert 1 <= len(seen - before) <= 2


async def test_a_dropped_lock_ends_its_waiting_thread(tmp_path: Path) -> None:
    before = set(_waiting_threads())
    first, second = FileLock(str(tmp_path / "lana.db")), FileLock(str(tmp_path / "lana.db"))
    _, seen = await _take_turns(first, second)
    started = seen - before
    assert started, "the turns were contended, so some lock waited in its thread"

    del first, second
    gc.collect()

    for thread in started:
        await asyncio.to_thread(thread.join, 5)
    assert not any(thread.is_alive() for thread in started)
