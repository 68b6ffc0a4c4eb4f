"""Idempotency keys in Redis, shared by every server process: a retried create, on any
process, replays the first answer instead of creating twice.

One hash per scoped key: ``fp`` (the request's fingerprint) from the claim, then
``status``, ``headers`` (JSON pairs) and ``body`` once the request completed.
"""

from __future__ import annotations

import json
from typing import cast

from redis.asyncio import Redis

from lana_adapters.redis.connection import Guard
from lana_adapters.redis.settings import RedisSettings
from lana_adapters.redis.stores import Arg, strict
from lana_adapters.security import Claim, ClaimState, StoredResponse

_CLAIM = """
local entry = redis.call('HMGET', KEYS[1], 'fp', 'status', 'headers', 'body')
if not entry[1] then
  redis.call('HSET', KEYS[1], 'fp', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'new'}
end
if entry[1] ~= ARGV[1] then return {'mismatch'} end
if not entry[2] then return {'in_flight'} end
return {'done', entry[2], entry[3], entry[4]}
"""

_COMPLETE = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'headers', ARGV[2], 'body', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


class RedisIdempotencyStore:
    """An :class:`~lana_adapters.security.IdempotencyStore` in Redis; a claim is one Lua script,
    so of concurrent duplicates on any processes exactly one is NEW.

    Every method raises Unavailable when Redis fails: running a create whose key cannot
    be checked could create it twice.
    """

    __slots__ = ("_claim", "_complete", "_guard", "_prefix", "_redis")

    def __init__(self, redis: Redis, settings: RedisSettings, *, guard: Guard | None = None) -> None:
        self._redis = redis
        self._guard = guard or Guard.of(settings)
        self._prefix = f"{settings.key_prefix}lana:idem:"
        self._claim = redis.register_script(_CLAIM)
        self._complete = redis.register_script(_COMPLETE)

    async def claim(self, key: str, fingerprint: str, ttl_seconds: float) -> Claim:
        """Atomically claim ``key`` for a request with ``fingerprint`` (see the Protocol's states)."""
        keys = [self._prefix + key]
        args: list[Arg] = [fingerprint, _ms(ttl_seconds)]
        reply = cast(
            "list[bytes]", await strict(self._guard, lambda: self._claim(keys=keys, args=args), _WHAT)
        )
        state = ClaimState(reply[0].decode())
        if state is not ClaimState.DONE:
            return Claim(state=state)
        headers = tuple((str(name), str(value)) for name, value in json.loads(reply[2]))
        response = StoredResponse(status=int(reply[1]), headers=headers, body=reply[3])
        return Claim(state=state, response=response)

    async def complete(self, key: str, response: StoredResponse, ttl_seconds: float) -> None:
        """Store the response of the claimed request for ``ttl_seconds``."""
        headers = json.dumps([list(pair) for pair in response.headers])
        args: list[Arg] = [response.status, headers, response.body, _ms(ttl_seconds)]
        await strict(self._guard, lambda: self._complete(keys=[self._prefix + key], args=args), _WHAT)

    async def release(self, key: str) -> None:
        """Forget a claim whose request created nothing, so a retry runs again."""
        await strict(self._guard, lambda: self._redis.delete(self._prefix + key), _WHAT)


_WHAT = "the idempotency store"


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
