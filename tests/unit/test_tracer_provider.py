"""Which spans the configured provider records: all of them when they can leave the process;
without an exporter, only those a caller asked to sample, every span keeping its ids."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from lana_adapters.settings import Settings
from lana_adapters.telemetry.setup import tracer_provider

SETTINGS = Settings.from_env({})


def caller(*, sampled: bool) -> Context:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    remote = SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=True, trace_flags=flags)
    return trace.set_span_in_context(NonRecordingSpan(remote))


@pytest.fixture(autouse=True)
def no_sampler_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    monkeypatch.delenv("OTEL_TRACES_SAMPLER_ARG", raising=False)


def test_without_an_exporter_a_new_trace_is_not_recorded_but_has_ids() -> None:
    provider, processors = tracer_provider(SETTINGS, [])
    span = provider.get_tracer("t").start_span("work")
    assert processors == ()
    assert not span.is_recording()
    assert span.get_span_context().is_valid
    assert not span.get_span_context().trace_flags.sampled


def test_without_an_exporter_a_sampled_caller_is_recorded_and_its_flag_travels_on() -> None:
    provider, _ = tracer_provider(SETTINGS, [])
    tracer = provider.get_tracer("t")
    sampled = tracer.start_span("work", context=caller(sampled=True))
    unsampled = tracer.start_span("work", context=caller(sampled=False))
    assert sampled.is_recording()
    assert sampled.get_span_context().trace_flags.sampled
    assert sampled.get_span_context().trace_id == 0xABC
    assert not unsampled.is_recording()
    assert unsampled.get_span_context().trace_id == 0xABC


def test_with_an_exporter_every_span_is_recorded_and_exported() -> None:
    exporter = InMemorySpanExporter()
    provider, processors = tracer_provider(SETTINGS, [exporter])
    provider.get_tracer("t").start_span("work").end()
    for processor in processors:
        processor.force_flush()
    assert [span.name for span in exporter.get_finished_spans()] == ["work"]
    provider.shutdown()


def test_a_sampler_from_the_environment_is_obeyed_without_an_exporter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_on")
    provider, _ = tracer_provider(SETTINGS, [])
    assert provider.get_tracer("t").start_span("work").is_recording()


def test_a_processor_added_later_sees_every_span_from_then_on() -> None:
    provider, _ = tracer_provider(SETTINGS, [])
    tracer = provider.get_tracer("t")
    before = tracer.start_span("before")
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer.start_span("after").end()
    before.end()
    assert [span.name for span in exporter.get_finished_spans()] == ["after"]
