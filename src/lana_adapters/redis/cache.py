"""Cache-aside on Redis, shared by every process: generations for exact invalidation,
a short lock against stampedes, and a circuit so that an outage only makes reads slower.

Layout (``P`` is the settings' key prefix):

- ``P`` + ``CacheKey.render()``: ``<generation>|<JSON>``, with a TTL.
- ``P`` + ``lana:gen:<tenant>:<namespace>``: the namespace's current generation, a random
  token. ``invalidate`` replaces it; an entry counts only while it carries the current one,
  so invalidation never scans the keyspace and drops every schema version at once.
- ``P`` + ``lana:lock:`` + key: held (``SET NX PX``) by the one process computing the key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import frozen
from redis.asyncio import Redis

from lana_adapters.redis.codec import UndecodableValue, ValueCodec
from lana_adapters.redis.connection import Guard, RedisDown
from lana_adapters.redis.flight import SingleFlight
from lana_adapters.redis.settings import RedisSettings
from lana_core.ports import CacheKey

T = TypeVar("T")

log = logging.getLogger(__name__)

GENERATION_TTL_MS = 7 * 24 * 3600 * 1000
_SEPARATOR = b"|"

# Store only under the generation the value was computed in, and release our lock.
_STORE = """
if ARGV[3] ~= '' and redis.call('GET', KEYS[3]) == ARGV[3] then redis.call('DEL', KEYS[3]) end
if ARGV[2] == '' or redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4])
return 1
"""


@frozen
class _Slot:
    """The Redis keys of one cache key, and the type its value decodes to."""

    entry: str
    generation: str
    lock: str
    kind: type[Any]


@frozen
class _View:
    """What one read found: a decoded value, or the generation to compute under (None: no Redis)."""

    hit: bool
    value: Any = None
    generation: bytes | None = None


class RedisCache:
    """A :class:`~lana_core.ports.Cache` in Redis, with the in-memory cache's semantics.

    Concurrent misses of a key compute once per process (single flight) and, across
    processes, once while the computing process holds the key's lock; others poll for
    its value up to ``stampede_wait_seconds``, then compute themselves. Any Redis error
    or timeout reads as a miss: the value is computed and returned, and Redis is left
    alone for ``circuit_open_seconds``. ``compute()``'s own errors propagate.
    """

    __slots__ = (
        "_codec",
        "_flights",
        "_guard",
        "_local",
        "_pending",
        "_random",
        "_reads",
        "_redis",
        "_replay",
        "_settings",
        "_store_script",
    )

    def __init__(
        self,
        redis: Redis,
        settings: RedisSettings,
        *,
        guard: Guard | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._redis = redis
        self._settings = settings
        self._guard = guard or Guard.of(settings)
        self._codec = ValueCodec()
        self._store_script = redis.register_script(_STORE)
        self._flights: SingleFlight[Any] = SingleFlight()
        self._reads: SingleFlight[_View] = SingleFlight()
        self._random = rng
        # Bumped by every local invalidation: names the flights shared while Redis is down.
        self._local: dict[tuple[UUID, str], int] = {}
        # Invalidations Redis missed; replayed before it is read again, and in the background.
        self._pending: set[tuple[UUID, str]] = set()
        self._replay: asyncio.Task[None] | None = None

    @property
    def guard(self) -> Guard:
        return self._guard

    async def get_or_compute(
        self, key: CacheKey, kind: type[T], compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        """The cached value or, on a miss, ``compute()`` stored for ``ttl_seconds``; its errors propagate."""
        slot = self._slot(key, kind)
        epoch = self._local.get((key.tenant_id, key.namespace), 0)
        # Concurrent reads of a key share one round trip, unless this process invalidated
        # the key's namespace since that round trip began.
        view = await self._reads.run((slot.entry, epoch), lambda: self._read(slot))
        if view.hit:
            return view.value  # type: ignore[no-any-return]
        flight = (slot.entry, view.generation or epoch)
        result: T = await self._flights.run(
            flight, lambda: self._fill(slot, view.generation, compute, ttl_seconds)
        )
        return result

    async def invalidate(self, tenant_id: UUID, namespaces: Sequence[str]) -> None:
        """Drop every key of the tenant in ``namespaces`` (a new generation for each)."""
        names = [(tenant_id, name) for name in namespaces]
        for name in names:
            self._local[name] = self._local.get(name, 0) + 1
        self._pending.update(names)
        try:
            await self._guard.run(self._flush_pending)
        except RedisDown as error:
            # The circuit has logged the outage; the new generations go out when Redis answers.
            log.debug("cache invalidation deferred: %s", error)
            self._replay_soon()

    async def ping(self) -> bool:
        """Whether Redis answers within the timeout (the circuit is not consulted)."""
        try:
            async with asyncio.timeout(self._settings.timeout_seconds):
                await self._redis.ping()
        except Exception:  # any failure means degraded: health must never raise
            return False
        self._guard.circuit.succeeded()
        return True

    async def aclose(self) -> None:
        if self._replay is not None:
            self._replay.cancel()
        await self._redis.aclose()

    def _replay_soon(self) -> None:
        """Until Redis hears of the missed invalidations, every other process reads the old
        generations: replay them as soon as the circuit lets a call through, not only before
        this process next reads."""
        if self._replay is None or self._replay.done():
            self._replay = asyncio.get_running_loop().create_task(self._replay_pending())

    async def _replay_pending(self) -> None:
        while self._pending:
            await asyncio.sleep(self._settings.circuit_open_seconds)
            with contextlib.suppress(RedisDown):
                await self._guard.run(self._flush_pending)

    async def _read(self, slot: _Slot) -> _View:
        try:
            generation, stored = await self._guard.run(lambda: self._fetch(slot))
        except RedisDown:
            return _View(hit=False)
        if stored is not None:
            stamp, _, payload = stored.partition(_SEPARATOR)
            if stamp == generation:
                try:
                    return _View(hit=True, value=self._codec.decode(payload, slot.kind))
                except UndecodableValue as error:
                    log.warning("cache entry %s is unreadable, recomputing: %s", slot.entry, error)
        return _View(hit=False, generation=generation)

    async def _fetch(self, slot: _Slot) -> tuple[bytes, bytes | None]:
        if self._pending:
            await self._flush_pending()
        generation, stored = cast("list[bytes | None]", await self._redis.mget(slot.generation, slot.entry))
        if generation is not None:
            return generation, stored
        # First use, expiry or eviction: a fresh random token, so no old entry matches it.
        token = secrets.token_hex(8).encode()
        existing = await self._redis.set(slot.generation, token, nx=True, get=True, px=GENERATION_TTL_MS)
        return cast("bytes | None", existing) or token, None

    async def _flush_pending(self) -> None:
        names = list(self._pending)
        async with self._redis.pipeline(transaction=False) as pipe:
            for tenant_id, namespace in names:
                pipe.set(
                    self._generation_key(tenant_id, namespace), secrets.token_hex(8), px=GENERATION_TTL_MS
                )
            await pipe.execute()
        self._pending.difference_update(names)

    async def _fill(
        self, slot: _Slot, generation: bytes | None, compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        if generation is None:
            return await compute()
        token = await self._lock(slot.lock)
        if token:
            # Another process may have stored the value between our read and our lock.
            view = await self._read(slot)
        elif token is None:
            view = await self._wait_for_other(slot)
        else:
            view = _View(hit=False)
        if view.hit:
            await self._unlock(slot.lock, token)
            return view.value  # type: ignore[no-any-return]
        value = await compute()
        await self._store(slot, view.generation or generation, token, value=value, ttl_seconds=ttl_seconds)
        return value

    async def _lock(self, lock_key: str) -> str | None:
        """Our lock token, "" when Redis is down (compute without it), None when another holds it."""
        token = secrets.token_hex(8)
        lock_ms = int(self._settings.lock_seconds * 1000)
        try:
            taken = await self._guard.run(lambda: self._redis.set(lock_key, token, nx=True, px=lock_ms))
        except RedisDown:
            return ""
        return token if taken else None

    async def _unlock(self, lock_key: str, token: str | None) -> None:
        if not token:
            return
        arguments: list[bytes | str | int] = ["", "", token, 1]
        try:
            await self._guard.run(lambda: self._store_script(keys=["", "", lock_key], args=arguments))
        except RedisDown:
            return

    async def _wait_for_other(self, slot: _Slot) -> _View:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.stampede_wait_seconds
        view = _View(hit=False)
        while loop.time() < deadline:
            await asyncio.sleep(self._settings.stampede_poll_seconds)
            view = await self._read(slot)
            if view.hit or view.generation is None:
                return view
        return view

    async def _store(
        self, slot: _Slot, generation: bytes, token: str | None, *, value: Any, ttl_seconds: float
    ) -> None:
        ttl_ms = int(ttl_seconds * 1000 * (1 - self._settings.ttl_jitter * self._random()))
        entry = b""
        if ttl_ms > 0:
            try:
                entry = generation + _SEPARATOR + self._codec.encode(value, slot.kind)
            except (TypeError, ValueError) as error:
                log.error("cannot cache %s: %s", slot.entry, error)
        if not entry and not token:
            return
        keys = [slot.generation, slot.entry, slot.lock]
        arguments: list[bytes | str | int] = [generation, entry, token or "", max(ttl_ms, 1)]
        try:
            await self._guard.run(lambda: self._store_script(keys=keys, args=arguments))
        except RedisDown:
            return

    def _slot(self, key: CacheKey, kind: type[Any]) -> _Slot:
        entry = self._settings.key_prefix + key.render()
        lock = f"{self._settings.key_prefix}lana:lock:{key.render()}"
        return _Slot(entry, self._generation_key(key.tenant_id, key.namespace), lock, kind)

    def _generation_key(self, tenant_id: UUID, namespace: str) -> str:
        return f"{self._settings.key_prefix}lana:gen:{tenant_id}:{namespace}"
