"""A real ``lana serve`` exports its request spans to the OTLP collector, with one worker (the
process that prepared the database serves too) as with several, and the outbox row carries
the request's trace on to the relay, the consumer and the webhook."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from lana_adapters.sql import SqlSettings, create_engine_from
from lana_adapters.sql.tables import outbox
from tests.integration.messaging.deployed import serve_settings, serving
from tests.integration.messaging.running import until
from tests.integration.observability.otlp import Collector

REQUEST_SPAN = "POST /api/v1/customers"


async def _traceparent_of_the_customer_created(database_url: str) -> str:
    engine = create_engine_from(SqlSettings(url=database_url))
    try:
        async with engine.connect() as conn:
            query = select(outbox.c.trace_context).where(outbox.c.type == "customer.created")
            [context] = (await conn.execute(query)).scalars()
    finally:
        await engine.dispose()
    return str(context["traceparent"])


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
async def test_lana_serve_exports_each_request_span_and_hands_its_trace_to_the_outbox(
    workers: int, tmp_path: Path
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'lana.db'}"
    with Collector() as collector:
        settings = serve_settings(
            database_url,
            LANA_OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint,
            LANA_OTEL_SERVICE_NAME="lana-served",
            OTEL_BSP_SCHEDULE_DELAY="100",  # milliseconds between exports: the test need not wait 5 s
        )
        async with serving(settings, tmp_path / "serve.log", workers=workers) as (client, headers):
            response = await client.post("/api/v1/customers", json={"name": "Ada"}, headers=headers)
            assert response.status_code == 201, response.text
            await until(
                lambda: any(s.name == REQUEST_SPAN for s in collector.spans()),
                within=30,
                what=lambda: (tmp_path / "serve.log").read_text(errors="replace")[-2000:],
            )
    assert "Shutdown called" not in (tmp_path / "serve.log").read_text(errors="replace")
    [request] = [s for s in collector.spans() if s.name == REQUEST_SPAN]
    assert (request.kind, request.service) == (Collector.SERVER, "lana-served")
    _version, trace_id, _span_id, flags = (await _traceparent_of_the_customer_created(database_url)).split(
        "-"
    )
    assert trace_id == request.trace_id
    assert int(flags, 16) & 1  # sampled: the relay, the consumer and the webhook call record theirs too
