"""Configuration of the Redis adapters, read from ``LANA_REDIS_*`` variables."""

from __future__ import annotations

from collections.abc import Mapping

from attrs import field, frozen, validators

from lana_adapters.variables import read_group, variable

# Days of live activity counters Redis keeps (a setting of the store, not of one process).
RETENTION_DAYS = 30


@frozen(kw_only=True)
class RedisSettings:
    """How to reach Redis and how the cache behaves when it does not answer.

    Timeouts are short on purpose: the cache fails open, so a Redis outage costs each
    request at most ``timeout_seconds`` (and, while the circuit is open, nothing).
    No ``url``: no Redis, everything stays in this process. Raises ValueError on an
    invalid value.
    """

    # Kept out of repr: the URL may carry a password.
    url: str | None = variable(
        "LANA_REDIS_URL",
        None,
        "`redis://host:6379/0`: cache (sign-in sessions' answers included), rate limits, idempotency"
        " keys and live events shared by every process; unset: in-process only.",
        shown=False,
        validator=validators.optional(validators.matches_re(r"(rediss?|unix)://\S*")),
    )
    timeout_seconds: float = variable(
        "LANA_REDIS_TIMEOUT_SECONDS",
        0.2,
        "Per-command timeout (the cache fails open).",
        validator=[validators.gt(0), validators.le(5)],
    )
    connect_timeout_seconds: float = variable(
        "LANA_REDIS_CONNECT_TIMEOUT_SECONDS",
        0.2,
        "Connection timeout.",
        validator=[validators.gt(0), validators.le(5)],
    )
    max_connections: int = variable(
        "LANA_REDIS_MAX_CONNECTIONS",
        32,
        "Pool size per process.",
        validator=[validators.ge(1), validators.le(10_000)],
    )
    # Entries live a random 0-10 % less than asked, so keys filled together expire apart.
    ttl_jitter: float = variable(
        "LANA_REDIS_TTL_JITTER",
        0.1,
        "Random fraction cut off each TTL.",
        validator=[validators.ge(0), validators.lt(1)],
    )
    # How long a miss waits for another process computing the same key before computing itself.
    stampede_wait_seconds: float = variable(
        "LANA_REDIS_STAMPEDE_WAIT_SECONDS",
        0.5,
        "Wait for another process computing a key.",
        validator=[validators.ge(0), validators.le(30)],
    )
    stampede_poll_seconds: float = field(default=0.01, validator=[validators.gt(0), validators.le(1)])
    lock_seconds: float = field(default=5.0, validator=[validators.gt(0), validators.le(300)])
    # After a failure, Redis is left alone this long; then one call probes it.
    circuit_open_seconds: float = variable(
        "LANA_REDIS_CIRCUIT_OPEN_SECONDS",
        5.0,
        "Pause after a Redis failure.",
        validator=[validators.ge(0), validators.le(300)],
    )
    key_prefix: str = variable(
        "LANA_REDIS_KEY_PREFIX", "", "Prefix of every key (several deployments on one Redis)."
    )

    @property
    def address(self) -> str:
        """The URL of a configured Redis; raises ValueError when none is."""
        if self.url is None:
            raise ValueError("LANA_REDIS_URL is not set")
        return self.url

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RedisSettings | None:
        """The settings in ``environ``, or None when ``LANA_REDIS_URL`` is unset (no Redis).

        Raises ValueError naming the setting whose value cannot be used.
        """
        settings = read_group(cls, environ)
        return settings if settings.url else None
