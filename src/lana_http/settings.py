"""What the HTTP driver and the ``lana`` command need, in the shapes they use.

Every value comes from :class:`~lana_adapters.settings.Settings` (one table of ``LANA_*``
variables); comma-separated lists become tuples here.
"""

from __future__ import annotations

from typing import Any

import attrs
from attrs import field, frozen

from lana_adapters.settings import Settings


def _csv(value: str | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return value
    return tuple(part.strip() for part in value.split(",") if part.strip())


@frozen(kw_only=True)
class HttpSettings:
    """Tokens, limits and network exposure of the HTTP API; the defaults suit the embedded mode."""

    jwt_secret: str | None = field(default=None, repr=False)
    jwt_issuer: str = "lana"
    jwt_audience: str = "lana-api"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 14 * 24 * 3600
    cors_origins: tuple[str, ...] = field(default=(), converter=_csv)
    allowed_hosts: tuple[str, ...] = field(default=("localhost", "127.0.0.1", "::1"), converter=_csv)
    max_body_bytes: int = 1_048_576
    import_max_bytes: int = 1_073_741_824
    rate_limit_per_minute: int = 600
    tenant_rate_limit_per_minute: int = 3_000
    login_rate_limit_per_minute: int = 10
    login_ip_rate_limit_per_minute: int = 30
    api_key_rate_limit_per_minute: int = 600
    idempotency_ttl_seconds: int = 24 * 3600
    allow_signup: bool = False
    admin_email: str = "admin@lana.localhost"
    admin_password: str | None = field(default=None, repr=False)
    tenant_slug: str = "default"
    host: str = "127.0.0.1"
    port: int = 8000
    trusted_proxies: tuple[str, ...] = field(default=("127.0.0.1",), converter=_csv)
    access_log: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpSettings:
        """The HTTP view of ``settings``."""
        values: dict[str, Any] = {item.name: getattr(settings, item.name) for item in attrs.fields(cls)}
        return cls(**values)
