"""A cache kept in each process's memory whose invalidations reach every process on the host.

For the embedded deployment without Redis: one SQLite file, served by several workers and
changed by CLI commands, all on one machine. Each process keeps its own entries; what they
share is a small file of generation counters beside the database, mapped into memory. An
invalidation bumps the counters of its namespaces (under a file lock); every read first
compares its namespace's counter with the one this process last saw and, when another
process bumped it, drops the process's entries of that namespace. Checking costs a
memory read, so a hit never leaves the process, and a change committed anywhere on the
host is seen by the next read everywhere.

Counters live in a fixed number of slots chosen by hashing (tenant, namespace): two
namespaces sharing a slot only invalidate each other more often than needed.
"""

from __future__ import annotations

import mmap
import os
import struct
import weakref
import zlib
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar
from uuid import UUID

from lana_core.memory import InMemoryCache
from lana_core.ports import CacheKey

try:
    import fcntl
except ImportError:  # no flock (Windows): see HostGenerations.available
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")

SUFFIX = ".cache-generations"
SLOTS = 4096
_COUNTER = struct.Struct("<Q")


class HostGenerations:
    """Generation counters per (tenant, namespace), in a file every process maps.

    Raises OSError when the file cannot be created or mapped.
    """

    __slots__ = ("__weakref__", "_close", "_fd", "_map")

    def __init__(self, path: Path) -> None:
        size = SLOTS * _COUNTER.size
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        with self._locked():
            if os.fstat(self._fd).st_size < size:
                os.ftruncate(self._fd, size)  # new bytes read as zero: generation 0
        self._map = mmap.mmap(self._fd, size)
        # Open for as long as anything uses it; the mapping and the descriptor go with it.
        self._close = weakref.finalize(self, _release, self._map, self._fd)

    @staticmethod
    def available() -> bool:
        """Whether this system can share the counters between processes (it has flock)."""
        return fcntl is not None

    @classmethod
    def beside(cls, database_path: str) -> HostGenerations:
        return cls(Path(database_path + SUFFIX))

    def read(self, tenant_id: UUID, namespace: str) -> int:
        value: int = _COUNTER.unpack_from(self._map, _offset(tenant_id, namespace))[0]
        return value

    def bump(self, tenant_id: UUID, namespace: str) -> None:
        offset = _offset(tenant_id, namespace)
        with self._locked():
            _COUNTER.pack_into(self._map, offset, (_COUNTER.unpack_from(self._map, offset)[0] + 1) % 2**64)

    def close(self) -> None:
        self._close()

    def _locked(self) -> _FileLock:
        return _FileLock(self._fd)


def _release(mapped: mmap.mmap, fd: int) -> None:
    mapped.close()
    os.close(fd)


class _FileLock:
    __slots__ = ("_fd",)

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def __enter__(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)


def _offset(tenant_id: UUID, namespace: str) -> int:
    slot = zlib.crc32(namespace.encode(), zlib.crc32(tenant_id.bytes)) % SLOTS
    return slot * _COUNTER.size


class HostCache:
    """A :class:`~lana_core.ports.Cache` with the in-memory cache's semantics in each process,
    whose invalidations every process sharing ``generations`` sees on its next read."""

    __slots__ = ("_generations", "_local", "_seen")

    def __init__(self, generations: HostGenerations, local: InMemoryCache | None = None) -> None:
        self._generations = generations
        self._local = local or InMemoryCache()
        self._seen: dict[tuple[UUID, str], int] = {}

    async def get_or_compute(
        self, key: CacheKey, kind: type[T], compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        """The cached value or, on a miss, ``compute()`` stored for ``ttl_seconds``; its errors propagate."""
        namespace = (key.tenant_id, key.namespace)
        current = self._generations.read(*namespace)
        seen = self._seen.get(namespace)
        if seen != current:
            if seen is not None:
                # Another process changed what this namespace's entries were computed from.
                await self._local.invalidate(key.tenant_id, (key.namespace,))
            self._seen[namespace] = current
        return await self._local.get_or_compute(key, kind, compute, ttl_seconds)

    async def invalidate(self, tenant_id: UUID, namespaces: Sequence[str]) -> None:
        """Drop every key of the tenant in ``namespaces``, in every process on the host."""
        for namespace in namespaces:
            self._generations.bump(tenant_id, namespace)
        await self._local.invalidate(tenant_id, namespaces)
