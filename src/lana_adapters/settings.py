"""Lana's configuration: every ``LANA_*`` environment variable, its default and meaning.

The defaults are the embedded mode: a SQLite file in the working directory, in-memory
cache and event bus, and the rules engine for insights. Nothing needs a server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import attrs
from attrs import frozen

from lana_adapters.openai import settings as openai
from lana_core.errors import FieldError, ValidationError
from lana_core.usecases.insights import InsightOptions

_ENV = "env"
_DOC = "doc"
# Defaults owned by the insight use cases, read from there so they are stated once.
_INSIGHT_DEFAULTS = InsightOptions()


def _setting(env: str, default: Any, doc: str) -> Any:
    return attrs.field(default=default, metadata={_ENV: env, _DOC: doc})


def _secret(env: str, doc: str) -> Any:
    """A setting kept out of ``repr`` so it never reaches a log line."""
    return attrs.field(default=None, repr=False, metadata={_ENV: env, _DOC: doc})


@frozen(kw_only=True)
class Settings:
    """Read with :meth:`from_env`; the table of variables is in ``docs/operations.md`` and the README."""

    database_url: str = _setting(
        "LANA_DATABASE_URL",
        "sqlite+aiosqlite:///./lana.db",
        "SQLAlchemy URL: `sqlite+aiosqlite:///path` (embedded) or `postgresql+psycopg://user@host/db`.",
    )
    database_pool_size: int = _setting("LANA_DATABASE_POOL_SIZE", 20, "Connections kept open per process.")
    database_max_overflow: int = _setting(
        "LANA_DATABASE_MAX_OVERFLOW", 0, "Extra connections allowed under load, each closed after use."
    )
    database_pool_timeout_seconds: float = _setting(
        "LANA_DATABASE_POOL_TIMEOUT_SECONDS", 5.0, "Wait for a free connection before failing with 503."
    )
    database_statement_timeout_ms: int = _setting(
        "LANA_DATABASE_STATEMENT_TIMEOUT_MS", 5_000, "PostgreSQL statement timeout per query."
    )
    database_app_role: str | None = _setting(
        "LANA_DATABASE_APP_ROLE",
        "lana_app",
        "PostgreSQL role transactions run as, so row-level security applies (empty: connect role).",
    )
    database_relay_role: str | None = _setting(
        "LANA_DATABASE_RELAY_ROLE",
        "lana_relay",
        "PostgreSQL role the outbox relay's transactions run as (empty: connect role).",
    )
    database_connect_timeout_seconds: float = _setting(
        "LANA_DATABASE_CONNECT_TIMEOUT_SECONDS",
        5.0,
        "PostgreSQL connect timeout (whole seconds, at least 2); a refused connect is retried twice.",
    )
    database_pool_pre_ping: bool = _setting(
        "LANA_DATABASE_POOL_PRE_PING",
        False,
        "Check each pooled connection before use (one more round trip); off, one found dead at BEGIN"
        " is replaced.",
    )
    database_session_scope: bool = _setting(
        "LANA_DATABASE_SESSION_SCOPE",
        True,
        "PostgreSQL: a pooled connection keeps the tenant and role of its last read; turn off"
        " behind a transaction-mode pooler (PgBouncer).",
    )
    database_busy_timeout_ms: int = _setting(
        "LANA_DATABASE_BUSY_TIMEOUT_MS",
        5_000,
        "SQLite: how long a writer waits for the write lock (then 503).",
    )
    redis_url: str | None = _setting(
        "LANA_REDIS_URL",
        None,
        "Redis: cache (sign-in sessions' answers included), rate limits, idempotency keys and live events"
        " shared by every process; unset: in-process only.",
    )
    openai_api_key: str | None = _secret(
        "LANA_OPENAI_API_KEY", "API key of an OpenAI-compatible server; unset: rules engine only."
    )
    openai_model: str = _setting("LANA_OPENAI_MODEL", openai.DEFAULT_MODEL, "Model name sent to the server.")
    openai_base_url: str | None = _setting(
        "LANA_OPENAI_BASE_URL", None, "Base URL of an OpenAI-compatible server (vLLM, Ollama, …)."
    )
    openai_timeout_seconds: float = _setting(
        "LANA_OPENAI_TIMEOUT_SECONDS",
        openai.DEFAULT_TIMEOUT_SECONDS,
        "Deadline of one model call, retries included (more than 0, at most 120).",
    )
    openai_max_retries: int = _setting(
        "LANA_OPENAI_MAX_RETRIES",
        openai.DEFAULT_MAX_RETRIES,
        "Retries of a model call after a connection error, timeout, 408, 409, 429 or 5xx (0 to 3),"
        " within the deadline.",
    )
    openai_send_contact_details: bool = _setting(
        "LANA_OPENAI_SEND_CONTACT_DETAILS", False, "Send customers' email and phone to the model."
    )
    openai_max_output_tokens: int = _setting(
        "LANA_OPENAI_MAX_OUTPUT_TOKENS",
        openai.DEFAULT_MAX_OUTPUT_TOKENS,
        "`max_completion_tokens` of the model's answer (100 to 16,384).",
    )

    insight_deadline_seconds: float = _setting(
        "LANA_INSIGHT_DEADLINE_SECONDS",
        10.0,
        "How long an insight waits for the model before the rules answer.",
    )
    insight_batch_concurrency: int = _setting(
        "LANA_INSIGHT_BATCH_CONCURRENCY", 8, "Insights generated at once by a batch."
    )
    insight_breaker_failures: int = _setting(
        "LANA_INSIGHT_BREAKER_FAILURES",
        _INSIGHT_DEFAULTS.breaker_threshold,
        "Model failures in a row that open the circuit breaker (the rules answer meanwhile; at least 1).",
    )
    insight_breaker_cooldown_seconds: float = _setting(
        "LANA_INSIGHT_BREAKER_COOLDOWN_SECONDS",
        _INSIGHT_DEFAULTS.breaker_cooldown_seconds,
        "How long an open breaker keeps the model uncalled before one call probes it.",
    )
    jwt_secret: str | None = _secret(
        "LANA_JWT_SECRET",
        "HS256 token key (32+ characters); unset with SQLite: generated in `<db file>.secret` (mode 0600).",
    )
    jwt_issuer: str = _setting("LANA_JWT_ISSUER", "lana", "`iss` of issued tokens.")
    jwt_audience: str = _setting("LANA_JWT_AUDIENCE", "lana-api", "`aud` of issued tokens.")
    access_token_ttl_seconds: int = _setting("LANA_ACCESS_TOKEN_TTL_SECONDS", 900, "Access token lifetime.")
    refresh_token_ttl_seconds: int = _setting(
        "LANA_REFRESH_TOKEN_TTL_SECONDS", 1_209_600, "Refresh token lifetime."
    )
    cors_origins: str = _setting(
        "LANA_CORS_ORIGINS", "", "Comma-separated origins allowed by CORS (empty: none)."
    )
    allowed_hosts: str = _setting(
        "LANA_ALLOWED_HOSTS",
        "localhost,127.0.0.1,::1",
        "Comma-separated Host names served; `*.example.com` patterns; `*` for any.",
    )
    max_body_bytes: int = _setting("LANA_MAX_BODY_BYTES", 1_048_576, "Largest request body (413 above).")
    import_max_bytes: int = _setting(
        "LANA_IMPORT_MAX_BYTES",
        1_073_741_824,
        "Largest CSV file `POST /api/v1/customers/imports` takes (413 above), spooled to a temporary file.",
    )
    phone_default_region: str | None = _setting(
        "LANA_PHONE_DEFAULT_REGION",
        None,
        "Country (ISO 3166 code, e.g. `GB`) of phone numbers given without `+` and a country code;"
        " unset: such numbers are refused. Numbers are stored as E.164.",
    )
    rate_limit_per_minute: int = _setting(
        "LANA_RATE_LIMIT_PER_MINUTE", 600, "Requests per client address a minute (0: off)."
    )
    tenant_rate_limit_per_minute: int = _setting(
        "LANA_TENANT_RATE_LIMIT_PER_MINUTE", 3_000, "Requests per tenant a minute (0: off)."
    )
    login_rate_limit_per_minute: int = _setting(
        "LANA_LOGIN_RATE_LIMIT_PER_MINUTE", 10, "Sign-in attempts per account a minute."
    )
    login_ip_rate_limit_per_minute: int = _setting(
        "LANA_LOGIN_IP_RATE_LIMIT_PER_MINUTE", 30, "Sign-in attempts per client address a minute."
    )
    webhook_allow_private: bool = _setting(
        "LANA_WEBHOOK_ALLOW_PRIVATE",
        False,
        "Webhook URLs may name loopback, private and link-local addresses (development only).",
    )
    api_key_rate_limit_per_minute: int = _setting(
        "LANA_API_KEY_RATE_LIMIT_PER_MINUTE", 600, "Requests per API key a minute (0: off)."
    )
    idempotency_ttl_seconds: int = _setting(
        "LANA_IDEMPOTENCY_TTL_SECONDS", 86_400, "How long a create's answer is kept for retries."
    )
    allow_signup: bool = _setting("LANA_ALLOW_SIGNUP", False, "Expose POST /api/v1/tenants.")
    admin_email: str = _setting(
        "LANA_ADMIN_EMAIL", "admin@lana.localhost", "First admin created by `lana serve`."
    )
    admin_password: str | None = _secret(
        "LANA_ADMIN_PASSWORD", "First admin's password (unset: generated and printed once)."
    )
    tenant_slug: str = _setting("LANA_TENANT_SLUG", "default", "First tenant created by `lana serve`.")
    host: str = _setting("LANA_HOST", "127.0.0.1", "Address `lana serve` listens on.")
    port: int = _setting("LANA_PORT", 8000, "Port `lana serve` listens on.")
    trusted_proxies: str = _setting(
        "LANA_TRUSTED_PROXIES",
        "127.0.0.1",
        "Comma-separated proxy addresses or networks whose `X-Forwarded-For` names the client "
        "(rate limits count that client); `*` trusts any.",
    )
    otel_service_name: str = _setting("LANA_OTEL_SERVICE_NAME", "lana", "`service.name` of traces.")
    otel_exporter_otlp_endpoint: str | None = _setting(
        "LANA_OTEL_EXPORTER_OTLP_ENDPOINT",
        None,
        "OTLP/HTTP collector base URL, e.g. `http://jaeger:4318` (unset: spans are not exported).",
    )
    otel_console: bool = _setting("LANA_OTEL_CONSOLE", False, "Print finished spans to stdout.")
    log_format: str = _setting(
        "LANA_LOG_FORMAT", "auto", "`json` (one event a line), `text`, or `auto` (text on a terminal)."
    )
    log_level: str = _setting("LANA_LOG_LEVEL", "INFO", "Lowest level logged (`DEBUG` … `ERROR`).")
    access_log: bool = _setting(
        "LANA_ACCESS_LOG",
        True,
        "Log a line per HTTP request (off: where a proxy logs them; saves about 10 % of a read's CPU).",
    )
    metrics_token: str | None = _secret(
        "LANA_METRICS_TOKEN",
        "Bearer token `GET /metrics` requires (unset: no `/metrics` on the API port, 404;"
        " the workers' endpoint is open).",
    )
    worker_metrics_port: int | None = _setting(
        "LANA_WORKER_METRICS_PORT",
        None,
        "Port of the `/metrics` and `/health/live` endpoint of `lana relay` and `lana consume`"
        " (unset: off; `0`: any free port).",
    )
    worker_metrics_host: str = _setting(
        "LANA_WORKER_METRICS_HOST",
        "127.0.0.1",
        "Address the workers' endpoint listens on (`0.0.0.0` lets another container scrape it).",
    )
    worker_stale_seconds: float = _setting(
        "LANA_WORKER_STALE_SECONDS",
        60.0,
        "A worker whose loop has not run for this long answers 503 on `/health/live`.",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default: the process environment).

        Raises ValidationError naming each variable that does not parse.
        """
        source = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        for field in attrs.fields(cls):
            raw = source.get(field.metadata[_ENV])
            if raw is None:
                continue
            try:
                values[field.name] = _parse(raw, field.type)
            except ValueError as error:
                errors.append(FieldError(field.metadata[_ENV], "invalid_setting", str(error)))
        if errors:
            raise ValidationError(errors)
        return cls(**values)


def settings_table() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting, in declaration order."""
    return [
        (f.metadata[_ENV], "" if f.default is None else str(f.default), f.metadata[_DOC])
        for f in attrs.fields(Settings)
    ]


def _parse(raw: str, kind: Any) -> Any:
    text = raw.strip()
    optional = isinstance(kind, str) and kind.endswith("| None")
    base = kind.split("|")[0].strip() if isinstance(kind, str) else kind
    if optional and text == "":
        return None
    if base in ("bool", bool):
        if text.lower() in {"1", "true", "yes", "on"}:
            return True
        if text.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ValueError(f"expected true or false, got {raw!r}")
    if base in ("int", int, "float", float):
        number = int(text) if base in ("int", int) else float(text)
        if not number >= 0:  # every count, size and timeout here is non-negative; also rejects NaN
            raise ValueError(f"must not be negative, got {raw!r}")
        return number
    return text


def markdown_table() -> str:
    """The settings as the Markdown rows the README and docs show."""
    return "\n".join(
        f"| `{name}` | {f'`{default}`' if default else '(unset)'} | {meaning} |"
        for name, default, meaning in settings_table()
    )


if __name__ == "__main__":
    print(markdown_table())
