"""Configuration of the Redis adapters, read from ``LANA_REDIS_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from attrs import field, frozen, validators

# Days of live activity counters Redis keeps (a setting of the store, not of one process).
RETENTION_DAYS = 30

PREFIX = "LANA_REDIS_"

N = TypeVar("N", int, float)


@frozen(kw_only=True)
class RedisSettings:
    """How to reach Redis and how the cache behaves when it does not answer.

    Timeouts are short on purpose: the cache fails open, so a Redis outage costs each
    request at most ``timeout_seconds`` (and, while the circuit is open, nothing).
    Raises ValueError on an invalid value.
    """

    # Kept out of repr: the URL may carry a password.
    url: str = field(repr=False, validator=validators.matches_re(r"(rediss?|unix)://\S*"))
    timeout_seconds: float = field(default=0.2, validator=[validators.gt(0), validators.le(5)])
    connect_timeout_seconds: float = field(default=0.2, validator=[validators.gt(0), validators.le(5)])
    max_connections: int = field(default=32, validator=[validators.ge(1), validators.le(10_000)])
    # Entries live a random 0-10 % less than asked, so keys filled together expire apart.
    ttl_jitter: float = field(default=0.1, validator=[validators.ge(0), validators.lt(1)])
    # How long a miss waits for another process computing the same key before computing itself.
    stampede_wait_seconds: float = field(default=0.5, validator=[validators.ge(0), validators.le(30)])
    stampede_poll_seconds: float = field(default=0.01, validator=[validators.gt(0), validators.le(1)])
    lock_seconds: float = field(default=5.0, validator=[validators.gt(0), validators.le(300)])
    # After a failure, Redis is left alone this long; then one call probes it.
    circuit_open_seconds: float = field(default=5.0, validator=[validators.ge(0), validators.le(300)])
    key_prefix: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RedisSettings | None:
        """The settings in ``environ``, or None when ``LANA_REDIS_URL`` is unset (no Redis).

        Raises ValueError naming the setting whose value cannot be used.
        """
        url = environ.get(f"{PREFIX}URL", "").strip()
        if not url:
            return None
        try:
            defaults = cls(url=url)
            return cls(
                url=url,
                timeout_seconds=_number(environ, "TIMEOUT_SECONDS", float, defaults.timeout_seconds),
                connect_timeout_seconds=_number(
                    environ, "CONNECT_TIMEOUT_SECONDS", float, defaults.connect_timeout_seconds
                ),
                max_connections=_number(environ, "MAX_CONNECTIONS", int, defaults.max_connections),
                ttl_jitter=_number(environ, "TTL_JITTER", float, defaults.ttl_jitter),
                stampede_wait_seconds=_number(
                    environ, "STAMPEDE_WAIT_SECONDS", float, defaults.stampede_wait_seconds
                ),
                circuit_open_seconds=_number(
                    environ, "CIRCUIT_OPEN_SECONDS", float, defaults.circuit_open_seconds
                ),
                key_prefix=environ.get(f"{PREFIX}KEY_PREFIX", "").strip(),
            )
        except ValueError as exc:
            detail = exc.args[0] if exc.args else exc
            raise ValueError(f"invalid {PREFIX}* setting: {detail}") from None


def _number(environ: Mapping[str, str], name: str, kind: type[N], default: N) -> N:
    raw = environ.get(f"{PREFIX}{name}", "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise ValueError(f"{PREFIX}{name} must be a number, got {raw!r}") from None
