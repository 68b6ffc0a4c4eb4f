"""The host cache: entries stay in each process, invalidations reach every process that maps
the same generations file (here: two caches on one file, as two workers on one SQLite file)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from lana_adapters.hostcache import HostCache, HostGenerations
from lana_core.ports import CacheKey

TENANT = uuid4()
KEY = CacheKey(TENANT, "sessions", "one")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "lana.db.cache-generations"


@pytest.fixture
def generations(path: Path) -> Iterator[list[HostGenerations]]:
    opened: list[HostGenerations] = []
    yield opened
    for one in opened:
        one.close()


def _open(path: Path, opened: list[HostGenerations]) -> HostCache:
    opened.append(HostGenerations(path))
    return HostCache(opened[-1])


class Source:
    """What the cached value is computed from: a record another process may change."""

    def __init__(self) -> None:
        self.value = "before"
        self.reads = 0

    async def read(self) -> str:
        self.reads += 1
        return self.value


async def test_a_hit_is_served_from_the_process_without_computing(
    path: Path, generations: list[HostGenerations]
) -> None:
    cache, source = _open(path, generations), Source()

    for _ in range(3):
        assert await cache.get_or_compute(KEY, str, source.read, 60) == "before"

    assert source.reads == 1


async def test_an_invalidation_in_one_process_is_seen_by_the_next_read_in_another(
    path: Path, generations: list[HostGenerations]
) -> None:
    server, command = _open(path, generations), _open(path, generations)
    source = Source()
    assert await server.get_or_compute(KEY, str, source.read, 60) == "before"

    source.value = "after"
    await command.invalidate(TENANT, ["sessions"])

    assert await server.get_or_compute(KEY, str, source.read, 60) == "after"
    assert await server.get_or_compute(KEY, str, source.read, 60) == "after"
    assert source.reads == 2


async def test_a_value_computed_before_another_process_invalidated_is_not_served_after(
    path: Path, generations: list[HostGenerations]
) -> None:
    server, command = _open(path, generations), _open(path, generations)
    source = Source()

    async def read_then_change() -> str:
        value = await source.read()
        source.value = "after"  # committed elsewhere while this read was on its way
        await command.invalidate(TENANT, ["sessions"])
        return value

    assert await server.get_or_compute(KEY, str, read_then_change, 60) == "before"
    assert await server.get_or_compute(KEY, str, source.read, 60) == "after"


async def test_other_tenants_and_namespaces_keep_their_entries(
    path: Path, generations: list[HostGenerations]
) -> None:
    server, command = _open(path, generations), _open(path, generations)
    other = CacheKey(uuid4(), "sessions", "one")
    source = Source()
    await server.get_or_compute(other, str, source.read, 60)

    await command.invalidate(TENANT, ["sessions", "dashboard"])

    await server.get_or_compute(other, str, source.read, 60)
    assert source.reads == 1 or _same_slot(other.tenant_id, TENANT)


def _same_slot(first: UUID, second: UUID) -> bool:
    from lana_adapters.hostcache import _offset

    return _offset(first, "sessions") in {_offset(second, "sessions"), _offset(second, "dashboard")}


def _bump_in_another_process(path: str, tenant: str, times: int) -> None:
    generations = HostGenerations(Path(path))
    for _ in range(times):
        generations.bump(UUID(tenant), "sessions")
    generations.close()


def test_bumps_from_several_processes_are_all_counted(path: Path) -> None:
    here = HostGenerations(path)
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_bump_in_another_process, args=(str(path), str(TENANT), 200)) for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert here.read(TENANT, "sessions") == 600
    here.close()
