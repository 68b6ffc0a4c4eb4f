"""Traces, logs and metrics of every Lana process; the core never imports this package.

Names load on first use: an adapter that only makes spans needs the OpenTelemetry API, not
the SDK nor prometheus_client, which the drivers (``lana_http``, the workers) bring.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lana_adapters._lazy import lazy_attributes

if TYPE_CHECKING:
    from lana_adapters.telemetry.catalog import catalog_markdown, catalog_names, config_catalog
    from lana_adapters.telemetry.context import context_from, current_trace_context
    from lana_adapters.telemetry.instruments import CountingCache, CountingModel, LanaMetrics
    from lana_adapters.telemetry.logging import (
        REQUEST_CONTEXT,
        RequestContext,
        configure_logging,
        correlation,
    )
    from lana_adapters.telemetry.metrics import CONTENT_TYPE, MEDIA_TYPE, Registry
    from lana_adapters.telemetry.redaction import RedactSecrets, redact
    from lana_adapters.telemetry.setup import Telemetry, configure_telemetry
    from lana_adapters.telemetry.sql import trace_sql
    from lana_adapters.telemetry.tracing import tracer

_HOMES = {
    "CONTENT_TYPE": "lana_adapters.telemetry.metrics",
    "MEDIA_TYPE": "lana_adapters.telemetry.metrics",
    "REQUEST_CONTEXT": "lana_adapters.telemetry.logging",
    "CountingCache": "lana_adapters.telemetry.instruments",
    "CountingModel": "lana_adapters.telemetry.instruments",
    "LanaMetrics": "lana_adapters.telemetry.instruments",
    "RedactSecrets": "lana_adapters.telemetry.redaction",
    "Registry": "lana_adapters.telemetry.metrics",
    "RequestContext": "lana_adapters.telemetry.logging",
    "Telemetry": "lana_adapters.telemetry.setup",
    "catalog_markdown": "lana_adapters.telemetry.catalog",
    "catalog_names": "lana_adapters.telemetry.catalog",
    "config_catalog": "lana_adapters.telemetry.catalog",
    "configure_logging": "lana_adapters.telemetry.logging",
    "configure_telemetry": "lana_adapters.telemetry.setup",
    "context_from": "lana_adapters.telemetry.context",
    "correlation": "lana_adapters.telemetry.logging",
    "current_trace_context": "lana_adapters.telemetry.context",
    "redact": "lana_adapters.telemetry.redaction",
    "trace_sql": "lana_adapters.telemetry.sql",
    "tracer": "lana_adapters.telemetry.tracing",
}

__all__ = [
    "CONTENT_TYPE",
    "MEDIA_TYPE",
    "REQUEST_CONTEXT",
    "CountingCache",
    "CountingModel",
    "LanaMetrics",
    "RedactSecrets",
    "Registry",
    "RequestContext",
    "Telemetry",
    "catalog_markdown",
    "catalog_names",
    "config_catalog",
    "configure_logging",
    "configure_telemetry",
    "context_from",
    "correlation",
    "current_trace_context",
    "redact",
    "trace_sql",
    "tracer",
]

__getattr__ = lazy_attributes(__name__, _HOMES)
