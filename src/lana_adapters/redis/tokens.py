"""Refresh-token families and revoked access tokens in Redis, shared by every server process.

Keys (``P`` is the settings' prefix), each expiring with what it describes:

- ``P lana:rt:<jti>``: hash ``family``, ``exp`` (ms), ``tenant``, ``user``.
- ``P lana:rtf:<family>``: hash ``current`` (the one jti that may be refreshed), ``revoked``.
- ``P lana:revoked:<jti>``: the access token's expiry (ms).

Rotation is one Lua script, so two processes refreshing the same token at once cannot
both succeed: the second sees a retired token and revokes the family.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from redis.asyncio import Redis

from lana_adapters.redis.connection import Guard
from lana_adapters.redis.settings import RedisSettings
from lana_adapters.redis.stores import Arg, epoch_ms, strict
from lana_adapters.security import RefreshToken, Rotation

_ROTATE = """
local family_id = redis.call('HGET', KEYS[1], 'family')
if not family_id or family_id ~= ARGV[2] then return 'unknown' end
if tonumber(redis.call('HGET', KEYS[1], 'exp')) <= tonumber(ARGV[1]) then return 'unknown' end
local family = redis.call('HMGET', KEYS[2], 'current', 'revoked')
if not family[2] or family[2] == '1' then return 'unknown' end
if family[1] ~= ARGV[7] then
  redis.call('HSET', KEYS[2], 'revoked', '1')
  redis.call('HDEL', KEYS[2], 'current')
  return 'reused'
end
redis.call('HSET', KEYS[2], 'current', ARGV[3])
redis.call('HSET', KEYS[3], 'family', ARGV[2], 'exp', ARGV[4], 'tenant', ARGV[5], 'user', ARGV[6])
redis.call('PEXPIREAT', KEYS[3], ARGV[4])
if redis.call('PEXPIRETIME', KEYS[2]) < tonumber(ARGV[4]) then redis.call('PEXPIREAT', KEYS[2], ARGV[4]) end
return 'rotated'
"""

_REVOKE_FAMILY = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'revoked', '1')
  redis.call('HDEL', KEYS[1], 'current')
end
return 0
"""


class RedisRefreshTokenStore:
    """A :class:`~lana_adapters.security.RefreshTokenStore` in Redis.

    Every method raises Unavailable when Redis fails: a refresh that cannot be checked
    is refused, never waved through.
    """

    __slots__ = ("_guard", "_prefix", "_redis", "_revoke", "_rotate")

    def __init__(self, redis: Redis, settings: RedisSettings, *, guard: Guard | None = None) -> None:
        self._redis = redis
        self._guard = guard or Guard.of(settings)
        self._prefix = settings.key_prefix
        self._rotate = redis.register_script(_ROTATE)
        self._revoke = redis.register_script(_REVOKE_FAMILY)

    async def add(self, token: RefreshToken) -> None:
        """Remember a token issued at sign-in (the first of its family)."""
        expires = epoch_ms(token.expires_at)
        family = self._family_key(token.family_id)

        async def write() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(family)
                pipe.hset(family, mapping={"current": token.jti, "revoked": "0"})
                pipe.pexpireat(family, expires)
                pipe.hset(self._token_key(token.jti), mapping=_fields(token))
                pipe.pexpireat(self._token_key(token.jti), expires)
                await pipe.execute()

        await strict(self._guard, write, "the session store")

    async def rotate(self, jti: str, successor: RefreshToken, now: datetime) -> Rotation:
        """Atomically retire ``jti`` and store ``successor``; REUSED revokes the family."""
        keys = [self._token_key(jti), self._family_key(successor.family_id), self._token_key(successor.jti)]
        fields = _fields(successor)
        args: list[Arg] = [epoch_ms(now), successor.family_id, successor.jti, fields["exp"]]
        args += [fields["tenant"]]
        args += [fields["user"], jti]
        reply = await strict(self._guard, lambda: self._rotate(keys=keys, args=args), "the session store")
        return Rotation(_text(reply))

    async def revoke_family_of(self, jti: str) -> None:
        """Revoke the family ``jti`` belongs to (sign-out); unknown tokens are ignored."""
        family = await strict(
            self._guard, lambda: self._redis.hget(self._token_key(jti), "family"), "the session store"
        )
        if family is None:
            return
        key = self._family_key(_text(family))
        await strict(self._guard, lambda: self._revoke(keys=[key]), "the session store")

    def _token_key(self, jti: str) -> str:
        return f"{self._prefix}lana:rt:{jti}"

    def _family_key(self, family_id: str) -> str:
        return f"{self._prefix}lana:rtf:{family_id}"


class RedisAccessTokenRevocations:
    """An :class:`~lana_adapters.security.AccessTokenRevocations` in Redis; each entry expires
    with its token. Raises Unavailable when Redis fails: a token that cannot be checked
    is refused."""

    __slots__ = ("_guard", "_prefix", "_redis")

    def __init__(self, redis: Redis, settings: RedisSettings, *, guard: Guard | None = None) -> None:
        self._redis = redis
        self._guard = guard or Guard.of(settings)
        self._prefix = f"{settings.key_prefix}lana:revoked:"

    async def revoke(self, jti: str, expires_at: datetime) -> None:
        """Refuse ``jti`` from now on; it can be forgotten once it expires anyway."""
        until = epoch_ms(expires_at)
        await strict(
            self._guard, lambda: self._redis.set(self._prefix + jti, until, pxat=until), "the revocation list"
        )

    async def is_revoked(self, jti: str, now: datetime) -> bool:
        until = await strict(self._guard, lambda: self._redis.get(self._prefix + jti), "the revocation list")
        return until is not None and int(cast("bytes", until)) > epoch_ms(now)


def _fields(token: RefreshToken) -> dict[Arg, Arg]:
    return {
        "family": token.family_id,
        "exp": str(epoch_ms(token.expires_at)),
        "tenant": str(token.tenant_id),
        "user": str(token.user_id),
    }


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
