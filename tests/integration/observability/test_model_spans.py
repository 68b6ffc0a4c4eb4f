"""Each insight model call is a client span ``model assess`` in its request's trace, with the
GenAI semantic conventions' model names and token counts, and an error status when it fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from lana_adapters.settings import Settings
from lana_adapters.telemetry import LanaMetrics
from lana_adapters.telemetry.instruments import MODEL_SPAN, CountingModel
from lana_core.domain.insights import InsightContext, InsightDraft
from lana_http import create_app
from tests.e2e.api import Api
from tests.e2e.conftest import http_settings, make_container
from tests.integration.openai.conftest import make_context
from tests.integration.openai.fake_server import DEFAULT_MODEL, FakeChatServer, Reply

REQUESTED_MODEL = "gpt-4o-mini"


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    with FakeChatServer() as running:
        yield running


@pytest.fixture
async def client(
    database_url: str, server: FakeChatServer, spans: InMemorySpanExporter
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The API asking the fake chat server for insights, once per call (no retries)."""
    settings = Settings.from_env(
        {
            "LANA_DATABASE_URL": database_url,
            "LANA_OPENAI_API_KEY": "test-key",
            "LANA_OPENAI_BASE_URL": server.base_url,
            "LANA_OPENAI_MODEL": REQUESTED_MODEL,
            "LANA_OPENAI_MAX_RETRIES": "0",
        }
    )
    container = make_container(settings, embedded_relay=False)
    async with AsyncTestClient(create_app(container, http_settings())) as client:
        yield client


async def _insight_trace(api: Api, spans: InMemorySpanExporter) -> list[ReadableSpan]:
    """The finished spans of one insight request for a new customer."""
    customer = (await api.customer(name="Ada Lovelace"))["id"]
    spans.clear()
    response = await api.post(f"/customers/{customer}/insights", json={"refresh": True})
    assert response.status_code in (200, 201), response.text
    finished = spans.get_finished_spans()
    server = next(s for s in finished if s.name == "POST /api/v1/customers/{customer_id}/insights")
    assert server.context is not None
    return [s for s in finished if s.context is not None and s.context.trace_id == server.context.trace_id]


def _model_span(in_trace: list[ReadableSpan]) -> ReadableSpan:
    found = [s for s in in_trace if s.name == MODEL_SPAN]
    assert len(found) == 1, sorted(s.name for s in in_trace)
    return found[0]


async def test_a_model_call_is_a_span_of_its_request_with_the_models_and_token_counts(
    client: AsyncTestClient[Litestar], spans: InMemorySpanExporter
) -> None:
    in_trace = await _insight_trace(await Api.signup(client), spans)

    model = _model_span(in_trace)
    assert model.kind is SpanKind.CLIENT
    assert model.status.status_code is StatusCode.UNSET
    assert dict(model.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": REQUESTED_MODEL,
        "gen_ai.response.model": DEFAULT_MODEL,
        "gen_ai.usage.input_tokens": 321,  # the fake server's usage
        "gen_ai.usage.output_tokens": 87,
    }
    use_case = next(s for s in in_trace if s.name == "use case generate_insight")
    assert use_case.context is not None
    assert model.parent is not None
    assert model.parent.span_id == use_case.context.span_id


async def test_a_failed_model_call_is_an_error_span_naming_the_reason(
    client: AsyncTestClient[Litestar], server: FakeChatServer, spans: InMemorySpanExporter
) -> None:
    api = await Api.signup(client)
    server.enqueue(Reply.error(500))

    model = _model_span(await _insight_trace(api, spans))

    assert model.status.status_code is StatusCode.ERROR
    assert model.status.description == "server_error"
    attributes = model.attributes or {}
    assert attributes["error.type"] == "Unavailable"
    assert attributes["gen_ai.request.model"] == REQUESTED_MODEL
    assert "gen_ai.usage.input_tokens" not in attributes


class _StuckModel:
    name = "stuck"

    async def assess(self, context: InsightContext) -> InsightDraft:
        await asyncio.Event().wait()
        raise AssertionError("never answers")


async def test_a_model_call_cancelled_at_the_deadline_is_an_error_span(spans: InMemorySpanExporter) -> None:
    model = CountingModel(_StuckModel(), LanaMetrics())
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await model.assess(make_context())

    (span,) = spans.get_finished_spans()
    assert span.name == MODEL_SPAN
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "CancelledError"
