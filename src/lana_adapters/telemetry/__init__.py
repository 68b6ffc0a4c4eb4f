"""Traces, logs and metrics of every Lana process; the core never imports this package."""

from lana_adapters.telemetry.catalog import catalog_markdown, catalog_names, config_catalog
from lana_adapters.telemetry.context import context_from, current_trace_context
from lana_adapters.telemetry.instruments import CountingCache, CountingModel, LanaMetrics
from lana_adapters.telemetry.logging import REQUEST_CONTEXT, RequestContext, configure_logging, correlation
from lana_adapters.telemetry.metrics import CONTENT_TYPE, MEDIA_TYPE, Registry
from lana_adapters.telemetry.redaction import RedactSecrets, redact
from lana_adapters.telemetry.setup import Telemetry, configure_telemetry, tracer
from lana_adapters.telemetry.sql import trace_sql

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
