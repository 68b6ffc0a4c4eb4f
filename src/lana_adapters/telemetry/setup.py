"""One place that turns the settings into a tracer provider and its exporters."""

from __future__ import annotations

import functools

from attrs import frozen
from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from lana_adapters.settings import Settings

TRACER_NAME = "lana"


@frozen
class Telemetry:
    """What :func:`configure_telemetry` started; :meth:`shutdown` flushes and stops its exporters."""

    provider: TracerProvider
    processors: tuple[SpanProcessor, ...]

    def shutdown(self) -> None:
        # The provider stays installed (the API allows one per process); only our exporters stop.
        for processor in self.processors:
            processor.shutdown()


def configure_telemetry(settings: Settings) -> Telemetry:
    """Install a tracer provider named ``LANA_OTEL_SERVICE_NAME`` with the configured exporters.

    Spans always get ids (logs and the outbox carry them); they leave the process only
    through OTLP/HTTP (``LANA_OTEL_EXPORTER_OTLP_ENDPOINT``) or the console
    (``LANA_OTEL_CONSOLE``). A provider installed earlier in the process is reused.
    """
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return Telemetry(current, ())
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.otel_service_name}))
    processors = tuple(BatchSpanProcessor(exporter) for exporter in _exporters(settings))
    for processor in processors:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    return Telemetry(provider, processors)


def _exporters(settings: Settings) -> list[SpanExporter]:
    exporters: list[SpanExporter] = []
    if settings.otel_exporter_otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        exporters.append(OTLPSpanExporter(endpoint=endpoint))
    if settings.otel_console:
        exporters.append(ConsoleSpanExporter())
    return exporters


def tracer() -> trace.Tracer:
    """Lana's tracer on whichever provider is installed (a no-op one until telemetry is configured)."""
    return _tracer_of(trace.get_tracer_provider())


# Building a tracer costs more than the span it starts: one per provider, the current one kept.
@functools.lru_cache(maxsize=1)
def _tracer_of(provider: trace.TracerProvider) -> trace.Tracer:
    return provider.get_tracer(TRACER_NAME)
