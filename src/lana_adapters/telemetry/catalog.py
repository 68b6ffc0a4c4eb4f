"""Every ``LANA_*`` variable any part of Lana reads, with its default and meaning."""

from __future__ import annotations

from attrs import NOTHING, fields

from lana_adapters.messaging.settings import DOCUMENTATION, MessagingSettings
from lana_adapters.redis.settings import RedisSettings
from lana_adapters.settings import settings_table

Row = tuple[str, str, str]

_REDIS: tuple[tuple[str, str, str], ...] = (
    (
        "LANA_REDIS_URL",
        "url",
        "`redis://host:6379/0` (unset: everything stays in memory).",
    ),
    ("LANA_REDIS_TIMEOUT_SECONDS", "timeout_seconds", "Per-command timeout (the cache fails open)."),
    ("LANA_REDIS_CONNECT_TIMEOUT_SECONDS", "connect_timeout_seconds", "Connection timeout."),
    ("LANA_REDIS_MAX_CONNECTIONS", "max_connections", "Pool size per process."),
    ("LANA_REDIS_TTL_JITTER", "ttl_jitter", "Random fraction cut off each TTL."),
    (
        "LANA_REDIS_STAMPEDE_WAIT_SECONDS",
        "stampede_wait_seconds",
        "Wait for another process computing a key.",
    ),
    (
        "LANA_REDIS_CIRCUIT_OPEN_SECONDS",
        "circuit_open_seconds",
        "Pause after a Redis failure.",
    ),
    ("LANA_REDIS_KEY_PREFIX", "key_prefix", "Prefix of every key (several deployments on one Redis)."),
)


def config_catalog() -> list[Row]:
    """(variable, default, meaning) of every variable, each once, in a stable order."""
    rows: dict[str, Row] = {row[0]: row for row in settings_table()}
    messaging = MessagingSettings().as_env()
    for variable, meaning in DOCUMENTATION:
        rows.setdefault(variable, (variable, messaging[variable], meaning))
    for variable, name, meaning in _REDIS:
        rows.setdefault(variable, (variable, _default(RedisSettings, name), meaning))
    return list(rows.values())


def catalog_names() -> frozenset[str]:
    return frozenset(row[0] for row in config_catalog())


def catalog_markdown() -> str:
    """The catalog as Markdown table rows (docs/operations.md shows them)."""
    return "\n".join(
        f"| `{name}` | {f'`{default}`' if default else '(unset)'} | {meaning} |"
        for name, default, meaning in config_catalog()
    )


def _default(cls: type, name: str) -> str:
    default = getattr(fields(cls), name).default
    return "" if default is None or default is NOTHING else str(default)


if __name__ == "__main__":
    print(catalog_markdown())
