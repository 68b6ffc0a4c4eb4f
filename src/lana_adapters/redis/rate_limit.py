"""Rate limits shared by every server process: a fixed window per key, counted atomically
by one Lua script (INCR, then PEXPIRE on the window's first hit)."""

from __future__ import annotations

import logging
import math
from typing import cast

from attrs import evolve
from redis.asyncio import Redis

from lana_adapters.redis.connection import Guard, RedisDown
from lana_adapters.redis.settings import RedisSettings
from lana_adapters.security import InMemoryRateLimiter, RateDecision, RateLimiter

log = logging.getLogger(__name__)

# A key without an expiry (a crash between INCR and PEXPIRE cannot happen inside a script,
# but a key written by hand could) gets one, so no counter lives for ever.
_HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class RedisRateLimiter:
    """A :class:`~lana_adapters.security.RateLimiter` whose counters live in Redis, so N worker
    processes admit at most ``limit`` per window between them.

    Fail-open policy: when Redis fails or times out, the decision comes from ``fallback``
    (by default an in-process limiter), so an outage neither blocks every request nor
    lifts every limit. Each process then admits its share, ``limit / processes``: with
    ``processes`` set to the number of workers, the cluster still admits about ``limit``
    per window until Redis answers again. A call that fails while Redis answers others
    (this process is too busy to hear back in time) is refused instead: shedding load
    beats admitting past the shared limit.
    """

    __slots__ = ("_fallback", "_guard", "_hit", "_prefix", "_processes")

    def __init__(
        self,
        redis: Redis,
        settings: RedisSettings,
        *,
        processes: int = 1,
        guard: Guard | None = None,
        fallback: RateLimiter | None = None,
    ) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self._processes = processes
        self._guard = guard or Guard.of(settings)
        self._fallback = fallback or InMemoryRateLimiter()
        self._prefix = f"{settings.key_prefix}lana:rate:"
        self._hit = redis.register_script(_HIT)

    async def hit(self, key: str, limit: int, window_seconds: int) -> RateDecision:
        """Count one request against ``key`` and say whether it is within ``limit`` per window."""
        window_ms = window_seconds * 1000
        try:
            reply = await self._guard.run(lambda: self._hit(keys=[self._prefix + key], args=[window_ms]))
        except RedisDown as error:
            if error.overloaded:
                return RateDecision(allowed=False, limit=limit, remaining=0, reset_seconds=1)
            log.debug("rate limit of %s decided in-process: %s", key, error)
            share = max(1, limit // self._processes)
            decision = await self._fallback.hit(key, share, window_seconds)
            return evolve(decision, limit=limit, remaining=min(limit, decision.remaining))
        count, ttl_ms = (int(part) for part in cast("list[int]", reply))
        return RateDecision(
            allowed=count <= limit,
            limit=limit,
            remaining=max(0, limit - count),
            reset_seconds=max(1, math.ceil(ttl_ms / 1000)),
        )
