"""Configuration of the HTTP API: tokens, limits and network exposure (``LANA_JWT_*``, rate
limits, hosts, the first tenant and where ``lana serve`` listens)."""

from __future__ import annotations

from attrs import frozen

from lana_adapters.variables import variable


def csv(value: str | tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list as a tuple (a tuple stays as it is)."""
    if isinstance(value, tuple):
        return value
    return tuple(part.strip() for part in value.split(",") if part.strip())


@frozen(kw_only=True)
class HttpSettings:
    """Tokens, limits and network exposure of the HTTP API; the defaults suit the embedded mode."""

    jwt_secret: str | None = variable(
        "LANA_JWT_SECRET",
        None,
        "HS256 token key (32+ characters); unset with SQLite: generated in `<db file>.secret` (mode 0600).",
        secret=True,
    )
    jwt_issuer: str = variable("LANA_JWT_ISSUER", "lana", "`iss` of issued tokens.")
    jwt_audience: str = variable("LANA_JWT_AUDIENCE", "lana-api", "`aud` of issued tokens.")
    access_token_ttl_seconds: int = variable("LANA_ACCESS_TOKEN_TTL_SECONDS", 900, "Access token lifetime.")
    refresh_token_ttl_seconds: int = variable(
        "LANA_REFRESH_TOKEN_TTL_SECONDS", 14 * 24 * 3600, "Refresh token lifetime."
    )
    cors_origins: tuple[str, ...] = variable(
        "LANA_CORS_ORIGINS",
        (),
        "Comma-separated origins allowed by CORS (empty: none).",
        parse=csv,
        converter=csv,
        when_empty=(),
    )
    allowed_hosts: tuple[str, ...] = variable(
        "LANA_ALLOWED_HOSTS",
        ("localhost", "127.0.0.1", "::1"),
        "Comma-separated Host names served; `*.example.com` patterns; `*` for any.",
        parse=csv,
        converter=csv,
    )
    max_body_bytes: int = variable("LANA_MAX_BODY_BYTES", 1_048_576, "Largest request body (413 above).")
    import_max_bytes: int = variable(
        "LANA_IMPORT_MAX_BYTES",
        1_073_741_824,
        "Largest CSV file an import job takes (`POST /api/v1/customers/imports`, 413 above; the web's"
        " import page), spooled to a temporary file.",
    )
    phone_default_region: str | None = variable(
        "LANA_PHONE_DEFAULT_REGION",
        None,
        "Country (ISO 3166 code, e.g. `GB`) of phone numbers given without `+` and a country code;"
        " unset: such numbers are refused. Numbers are stored as E.164.",
    )
    rate_limit_per_minute: int = variable(
        "LANA_RATE_LIMIT_PER_MINUTE", 600, "Requests per client address a minute (0: off)."
    )
    tenant_rate_limit_per_minute: int = variable(
        "LANA_TENANT_RATE_LIMIT_PER_MINUTE", 3_000, "Requests per tenant a minute (0: off)."
    )
    login_rate_limit_per_minute: int = variable(
        "LANA_LOGIN_RATE_LIMIT_PER_MINUTE", 10, "Sign-in attempts per account a minute."
    )
    login_ip_rate_limit_per_minute: int = variable(
        "LANA_LOGIN_IP_RATE_LIMIT_PER_MINUTE", 30, "Sign-in attempts per client address a minute."
    )
    api_key_rate_limit_per_minute: int = variable(
        "LANA_API_KEY_RATE_LIMIT_PER_MINUTE", 600, "Requests per API key a minute (0: off)."
    )
    idempotency_ttl_seconds: int = variable(
        "LANA_IDEMPOTENCY_TTL_SECONDS", 24 * 3600, "How long a create's answer is kept for retries."
    )
    allow_signup: bool = variable("LANA_ALLOW_SIGNUP", False, "Expose POST /api/v1/tenants.")
    admin_email: str = variable(
        "LANA_ADMIN_EMAIL", "admin@lana.localhost", "First admin created by `lana serve`."
    )
    admin_password: str | None = variable(
        "LANA_ADMIN_PASSWORD",
        None,
        "First admin's password (unset: generated and printed once).",
        secret=True,
    )
    tenant_slug: str = variable("LANA_TENANT_SLUG", "default", "First tenant created by `lana serve`.")
    host: str = variable("LANA_HOST", "127.0.0.1", "Address `lana serve` listens on.")
    port: int = variable("LANA_PORT", 8000, "Port `lana serve` listens on.")
    trusted_proxies: tuple[str, ...] = variable(
        "LANA_TRUSTED_PROXIES",
        ("127.0.0.1",),
        "Comma-separated proxy addresses or networks whose `X-Forwarded-For` names the client "
        "(rate limits count that client); `*` trusts any.",
        parse=csv,
        converter=csv,
    )
    access_log: bool = variable(
        "LANA_ACCESS_LOG",
        True,
        "Log a line per HTTP request (off: where a proxy logs them; saves about 10 % of a read's CPU).",
    )
