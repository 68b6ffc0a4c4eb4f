"""Code run in worker processes by the multi-process tests."""

from __future__ import annotations

import asyncio
from typing import Any

from lana_adapters.redis import connect
from lana_adapters.redis.rate_limit import RedisRateLimiter
from tests.integration.redis.servers import settings_for


def admitted(url: str, prefix: str, *, key: str, attempts: int, limit: int, start: Any, results: Any) -> None:
    """Put on ``results`` how many of ``attempts`` concurrent hits got admitted, once ``start`` is set."""
    results.put(asyncio.run(_hits(url, prefix, key=key, attempts=attempts, limit=limit, start=start)))


async def _hits(url: str, prefix: str, *, key: str, attempts: int, limit: int, start: Any) -> int:
    # Generous timeouts: this measures shared counting, not the fallback a starved CI
    # machine would trigger with the default 200 ms.
    settings = settings_for(url, prefix, timeout_seconds=2.0, connect_timeout_seconds=2.0)
    client = connect(settings)
    limiter = RedisRateLimiter(client, settings, processes=4)
    try:
        # A serving process has its connections open: warm the pool before the burst.
        await asyncio.gather(
            *(limiter.hit(f"warm-up:{n}", limit, 60) for n in range(settings.max_connections))
        )
        await asyncio.to_thread(start.wait)
        decisions = await asyncio.gather(*(limiter.hit(key, limit, 60) for _ in range(attempts)))
    finally:
        await client.aclose()
    return sum(decision.allowed for decision in decisions)
