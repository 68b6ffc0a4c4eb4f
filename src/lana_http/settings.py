"""What the HTTP driver and the ``lana`` command need to know beyond the adapters' settings.

Each field is read from :class:`~lana_adapters.settings.Settings` when it has a field of
the same name, else from its ``LANA_*`` environment variable, else its default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs
from attrs import field, frozen

from lana_adapters.settings import Settings
from lana_core.errors import FieldError, ValidationError

_ENV = "env"


def _setting(env: str, default: Any, **kwargs: Any) -> Any:
    return field(default=default, metadata={_ENV: env}, **kwargs)


@frozen(kw_only=True)
class HttpSettings:
    """Tokens, limits and network exposure of the HTTP API; the defaults suit the embedded mode."""

    jwt_secret: str | None = _setting("LANA_JWT_SECRET", None, repr=False)
    jwt_issuer: str = _setting("LANA_JWT_ISSUER", "lana")
    jwt_audience: str = _setting("LANA_JWT_AUDIENCE", "lana-api")
    access_token_ttl_seconds: int = _setting("LANA_ACCESS_TOKEN_TTL_SECONDS", 900)
    refresh_token_ttl_seconds: int = _setting("LANA_REFRESH_TOKEN_TTL_SECONDS", 14 * 24 * 3600)
    cors_origins: tuple[str, ...] = _setting("LANA_CORS_ORIGINS", ())
    allowed_hosts: tuple[str, ...] = _setting("LANA_ALLOWED_HOSTS", ("localhost", "127.0.0.1", "::1"))
    max_body_bytes: int = _setting("LANA_MAX_BODY_BYTES", 1_048_576)
    rate_limit_per_minute: int = _setting("LANA_RATE_LIMIT_PER_MINUTE", 600)
    tenant_rate_limit_per_minute: int = _setting("LANA_TENANT_RATE_LIMIT_PER_MINUTE", 3_000)
    login_rate_limit_per_minute: int = _setting("LANA_LOGIN_RATE_LIMIT_PER_MINUTE", 10)
    login_ip_rate_limit_per_minute: int = _setting("LANA_LOGIN_IP_RATE_LIMIT_PER_MINUTE", 30)
    idempotency_ttl_seconds: int = _setting("LANA_IDEMPOTENCY_TTL_SECONDS", 24 * 3600)
    allow_signup: bool = _setting("LANA_ALLOW_SIGNUP", False)
    admin_email: str = _setting("LANA_ADMIN_EMAIL", "admin@lana.localhost")
    admin_password: str | None = _setting("LANA_ADMIN_PASSWORD", None, repr=False)
    tenant_slug: str = _setting("LANA_TENANT_SLUG", "default")
    host: str = _setting("LANA_HOST", "127.0.0.1")
    port: int = _setting("LANA_PORT", 8000)

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> HttpSettings:
        """Fields from ``settings`` where it has them, else from ``environ`` (default: the process's).

        Raises ValidationError naming each variable that does not parse.
        """
        source = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        for item in attrs.fields(cls):
            if hasattr(settings, item.name):
                values[item.name] = _coerce(getattr(settings, item.name), item.default)
                continue
            raw = source.get(item.metadata[_ENV])
            if raw is None:
                continue
            try:
                values[item.name] = _parse(raw, item.default)
            except ValueError as error:
                errors.append(FieldError(item.metadata[_ENV], "invalid_setting", str(error)))
        if errors:
            raise ValidationError(errors)
        return cls(**values)


def _coerce(value: Any, default: Any) -> Any:
    if isinstance(default, tuple) and isinstance(value, str):
        return _parse(value, default)
    return tuple(value) if isinstance(default, tuple) else value


def _parse(raw: str, default: Any) -> Any:
    text = raw.strip()
    if isinstance(default, bool):
        if text.lower() in {"1", "true", "yes", "on"}:
            return True
        if text.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"expected true or false, got {raw!r}")
    if isinstance(default, int):
        number = int(text)
        if number < 0:
            raise ValueError(f"must not be negative, got {raw!r}")
        return number
    if isinstance(default, tuple):
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return text or default
