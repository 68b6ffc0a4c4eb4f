"""One place that turns the settings into a tracer provider and its exporters."""

from __future__ import annotations

import os
from collections.abc import Sequence

from attrs import frozen
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.environment_variables import OTEL_TRACES_SAMPLER
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from lana_adapters.settings import Settings


@frozen
class Telemetry:
    """What :func:`configure_telemetry` started; :meth:`flush` sends what its exporters hold."""

    provider: TracerProvider
    processors: tuple[SpanProcessor, ...]

    def flush(self) -> None:
        """Export every finished span now (at the end of a command or an app's lifespan).

        The exporters are not stopped: the provider is the process's for good (the API
        allows one), and a later container of the same process reuses them, as the one
        worker of `lana serve` does after the first-run setup. The provider stops them at
        the process's exit.
        """
        self.provider.force_flush()


def configure_telemetry(settings: Settings) -> Telemetry:
    """Install a tracer provider named ``LANA_OTEL_SERVICE_NAME`` with the configured exporters.

    Spans always get ids (logs and the outbox carry them); they leave the process only
    through OTLP/HTTP (``LANA_OTEL_EXPORTER_OTLP_ENDPOINT``) or the console
    (``LANA_OTEL_CONSOLE``). A provider installed earlier in the process is reused.
    """
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return Telemetry(current, ())
    provider, processors = tracer_provider(settings, _exporters(settings))
    trace.set_tracer_provider(provider)
    return Telemetry(provider, processors)


def tracer_provider(
    settings: Settings, exporters: list[SpanExporter]
) -> tuple[TracerProvider, tuple[SpanProcessor, ...]]:
    """A provider sending its spans to ``exporters``, and the processors that do it."""
    resource = Resource.create({SERVICE_NAME: settings.telemetry.service_name})
    provider: TracerProvider
    if os.environ.get(OTEL_TRACES_SAMPLER):
        provider = TracerProvider(resource=resource)
    else:
        provider = _RecordingWhenExported(resource)
    processors = tuple(BatchSpanProcessor(exporter) for exporter in exporters)
    for processor in processors:
        provider.add_span_processor(processor)
    return provider, processors


class _WhileExported(Sampler):
    """The SDK's default sampler once a span processor is added; until then it records only
    the spans whose caller asked for sampling (so that flag travels on downstream).

    Recording a span nobody exports costs tens of microseconds, several times per request
    or message; unrecorded spans keep their ids for logs and the outbox.
    """

    def __init__(self) -> None:
        self.exported = False
        self._recording = ParentBased(ALWAYS_ON)
        self._quiet = ParentBased(ALWAYS_OFF)

    def should_sample(  # noqa: PLR0917 (the SDK calls it positionally)
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        sampler = self._recording if self.exported else self._quiet
        return sampler.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        return "ParentBased{root:AlwaysOn} once exported, ParentBased{root:AlwaysOff} before"


class _RecordingWhenExported(TracerProvider):
    """A provider whose spans are recorded from the moment any processor can see them."""

    def __init__(self, resource: Resource) -> None:
        self._switch = _WhileExported()
        super().__init__(sampler=self._switch, resource=resource)

    def add_span_processor(self, span_processor: SpanProcessor) -> None:
        super().add_span_processor(span_processor)
        self._switch.exported = True


def _exporters(settings: Settings) -> list[SpanExporter]:
    exporters: list[SpanExporter] = []
    if settings.telemetry.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.telemetry.otlp_endpoint.rstrip("/") + "/v1/traces"
        exporters.append(OTLPSpanExporter(endpoint=endpoint))
    if settings.telemetry.console:
        exporters.append(ConsoleSpanExporter())
    return exporters
