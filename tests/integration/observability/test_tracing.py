"""One trace follows a customer from the HTTP request through the outbox, the broker and the
consumer that owes it to the webhook subscriptions, to the sender's call to n8n."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import cast

from litestar import Litestar
from litestar.testing import AsyncTestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind

from lana_adapters.messaging.inbox import InMemoryInbox
from lana_adapters.messaging.publisher import KombuEventPublisher
from lana_adapters.messaging.relay import OutboxRelay, RelayOptions
from lana_adapters.messaging.runtime import SubscriptionDatabase, WebhookWorkers
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_adapters.sql import SqlOutboxRelayStore, SqlSettings, create_engine_from
from lana_adapters.telemetry.tracing import tracer
from lana_adapters.telemetry.usecases import TracedUseCase
from lana_core.usecases._base import UseCase
from tests.e2e.api import Api
from tests.integration.messaging.receiver import Receiver
from tests.integration.messaging.running import running, until


def _named(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert found, f"no span {name!r} among {sorted({s.name for s in spans})}"
    return found[0]


def _trace_of(spans: Sequence[ReadableSpan], trace_id: int) -> list[ReadableSpan]:
    return [s for s in spans if s.context is not None and s.context.trace_id == trace_id]


async def test_a_customer_creation_is_one_trace_from_the_request_to_the_webhook(
    client: AsyncTestClient[Litestar], database_url: str, spans: InMemorySpanExporter
) -> None:
    api = await Api.signup(client)
    spans.clear()
    await api.customer(name="Ada Lovelace")
    server = _named(spans.get_finished_spans(), "POST /api/v1/customers")
    assert server.kind is SpanKind.SERVER
    assert server.context is not None
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 201
    trace_id = server.context.trace_id

    unique = uuid.uuid4().hex[:8]
    with Receiver() as receiver:
        settings = MessagingSettings(
            exchange=f"test.otel.{unique}",
            queue=f"test.otel.{unique}.n8n",
            webhook_routes=(WebhookRoute("customer.created", receiver.url("/hook")),),
        )
        engine = create_engine_from(SqlSettings(url=database_url))
        consumer = WebhookWorkers(
            settings, inbox=InMemoryInbox(), subscriptions=SubscriptionDatabase(engine, relay_role=None)
        )
        publisher = KombuEventPublisher(settings)
        try:
            async with running(consumer):
                await until(lambda: consumer.stats.sessions >= 1)
                relay = OutboxRelay(SqlOutboxRelayStore(engine), publisher, RelayOptions(lease_seconds=1))
                await relay.run_once()
                await until(lambda: receiver.ids("/hook"), what=lambda: (relay.stats, consumer.stats))
                await until(
                    lambda: any(s.name == "POST customer.created" for s in spans.get_finished_spans())
                )
        finally:
            await publisher.close()
            await engine.dispose()

    in_trace = _trace_of(spans.get_finished_spans(), trace_id)
    names = {s.name for s in in_trace}
    assert {"publish customer.created", "consume customer.created", "POST customer.created"} <= names
    use_case = _named(in_trace, "use case create_customer")
    assert use_case.parent is not None
    assert use_case.parent.span_id == server.context.span_id  # the core's work, inside the request
    sql = [s for s in in_trace if s.attributes and "db.query.text" in s.attributes]
    assert any(s.name == "INSERT" for s in sql), names
    assert not [s for s in sql if "Ada Lovelace" in str(s.attributes)]  # statements, never values
    assert all(s.parent is not None for s in in_trace if s is not server)
    assert receiver.received[0].headers["traceparent"].split("-")[1] == format(trace_id, "032x")


async def test_the_request_id_is_echoed_or_made_up(client: AsyncTestClient[Litestar]) -> None:
    echoed = await client.get("/health/live", headers={"X-Request-ID": "req-42"})
    made_up = await client.get("/health/live", headers={"X-Request-ID": "no spaces allowed"})
    another = await client.get("/health/live")
    assert echoed.headers["x-request-id"] == "req-42"
    assert re.fullmatch(r"[0-9a-f]{32}", made_up.headers["x-request-id"])
    assert another.headers["x-request-id"] != made_up.headers["x-request-id"]


async def test_an_incoming_traceparent_is_continued(
    client: AsyncTestClient[Litestar], spans: InMemorySpanExporter
) -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    await client.get("/health/live", headers={"traceparent": parent})
    server = _named(spans.get_finished_spans(), "GET /health/live")
    assert server.context is not None
    assert format(server.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"


async def _span_seen_by_a_use_case(parent: trace.Span | None) -> trace.Span:
    """The current span inside a traced use case called under ``parent`` (None: no span)."""
    seen: list[trace.Span] = []

    async def probe() -> None:
        seen.append(trace.get_current_span())

    traced = TracedUseCase("probe", cast("UseCase", probe))
    if parent is None:
        await traced()
    else:
        with trace.use_span(parent, end_on_exit=False):
            await traced()
    return seen[0]


async def test_a_use_case_under_an_unrecorded_span_runs_in_that_span(spans: InMemorySpanExporter) -> None:
    unrecorded = NonRecordingSpan(SpanContext(trace_id=0xABC, span_id=0xDEF, is_remote=False))

    assert await _span_seen_by_a_use_case(unrecorded) is unrecorded
    assert not [s for s in spans.get_finished_spans() if s.name == "use case probe"]


async def test_a_use_case_outside_any_span_or_under_a_recorded_one_gets_its_own(
    spans: InMemorySpanExporter,
) -> None:
    root = await _span_seen_by_a_use_case(None)
    with tracer().start_as_current_span("caller") as caller:
        child = await _span_seen_by_a_use_case(caller)

    probes = [s for s in spans.get_finished_spans() if s.name == "use case probe"]
    assert [s.context for s in probes] == [root.get_span_context(), child.get_span_context()]
    assert probes[0].parent is None
    assert probes[1].parent is not None
    assert probes[1].parent.span_id == caller.get_span_context().span_id
