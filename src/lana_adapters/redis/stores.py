"""What the security stores share: a guarded call that turns a Redis failure into Unavailable.

Unlike the cache, these stores fail closed: a session or an idempotency key that cannot
be checked must not be taken as valid, so the request fails fast with 503 instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

from redis.typing import EncodableT

from lana_adapters.redis.connection import Guard, RedisDown
from lana_core.errors import Unavailable

T = TypeVar("T")

# What redis-py accepts as a command or script argument.
Arg = EncodableT


async def strict(guard: Guard, operation: Callable[[], Awaitable[T]], what: str) -> T:
    """The operation's result; raises Unavailable when Redis fails, times out or is left alone."""
    try:
        return await guard.run(operation)
    except RedisDown as error:
        raise Unavailable(f"{what} is unavailable: {error}") from error


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
