"""Request counters for rate limits: a fixed window per key, checked and counted in one step."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol

from attrs import frozen


@frozen(kw_only=True)
class RateDecision:
    """Whether one more request fits, and the figures for the ``RateLimit-*`` headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int


class RateLimiter(Protocol):
    """Counts requests per key over fixed windows; shared by every worker that must agree."""

    async def hit(self, key: str, limit: int, window_seconds: int) -> RateDecision:
        """Count one request against ``key`` and say whether it is within ``limit`` per window."""
        ...


class InMemoryRateLimiter:
    """Counters in one process's memory; ``hit`` never awaits, so it is atomic under asyncio.

    Only windows still running are kept: a finished window's counter is dropped at the
    next hit of any key once the table grows past ``max_keys``.
    """

    __slots__ = ("_counters", "_max_keys", "_monotonic")

    def __init__(self, *, max_keys: int = 100_000, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._counters: dict[str, tuple[float, int]] = {}
        self._max_keys = max_keys
        self._monotonic = monotonic

    async def hit(self, key: str, limit: int, window_seconds: int) -> RateDecision:
        now = self._monotonic()
        window_end, count = self._counters.get(key, (0.0, 0))
        if window_end <= now:
            self._make_room(now)
            window_end, count = now + window_seconds, 0
        count += 1
        self._counters[key] = (window_end, count)
        reset = max(1, math.ceil(window_end - now))
        return RateDecision(
            allowed=count <= limit, limit=limit, remaining=max(0, limit - count), reset_seconds=reset
        )

    def _make_room(self, now: float) -> None:
        if len(self._counters) < self._max_keys:
            return
        for stale in [k for k, (end, _) in self._counters.items() if end <= now]:
            del self._counters[stale]
        while len(self._counters) >= self._max_keys:
            del self._counters[next(iter(self._counters))]
