"""Configuration of logs, traces and metrics (``LANA_OTEL_*``, ``LANA_LOG_*``, ``LANA_METRICS_TOKEN``)
and of the workers' own endpoint (``LANA_WORKER_*``)."""

from __future__ import annotations

from attrs import frozen

from lana_adapters.variables import variable


@frozen(kw_only=True)
class TelemetrySettings:
    """Where traces go, how logs look, and who may read ``/metrics``."""

    service_name: str = variable("LANA_OTEL_SERVICE_NAME", "lana", "`service.name` of traces.")
    otlp_endpoint: str | None = variable(
        "LANA_OTEL_EXPORTER_OTLP_ENDPOINT",
        None,
        "OTLP/HTTP collector base URL, e.g. `http://jaeger:4318` (unset: spans are not exported).",
    )
    console: bool = variable("LANA_OTEL_CONSOLE", False, "Print finished spans to stdout.")
    log_format: str = variable(
        "LANA_LOG_FORMAT", "auto", "`json` (one event a line), `text`, or `auto` (text on a terminal)."
    )
    log_level: str = variable("LANA_LOG_LEVEL", "INFO", "Lowest level logged (`DEBUG` … `ERROR`).")
    metrics_token: str | None = variable(
        "LANA_METRICS_TOKEN",
        None,
        "Bearer token `GET /metrics` requires (unset: no `/metrics` on the API port, 404;"
        " the workers' endpoint is open).",
        secret=True,
    )


@frozen(kw_only=True)
class WorkerSettings:
    """The ``/metrics`` and ``/health/live`` endpoint of ``lana relay`` and ``lana consume``."""

    metrics_port: int | None = variable(
        "LANA_WORKER_METRICS_PORT",
        None,
        "Port of the `/metrics` and `/health/live` endpoint of `lana relay` and `lana consume`"
        " (unset: off; `0`: any free port).",
    )
    metrics_host: str = variable(
        "LANA_WORKER_METRICS_HOST",
        "127.0.0.1",
        "Address the workers' endpoint listens on (`0.0.0.0` lets another container scrape it).",
    )
    stale_seconds: float = variable(
        "LANA_WORKER_STALE_SECONDS",
        60.0,
        "A worker whose loop has not run for this long answers 503 on `/health/live`.",
    )
