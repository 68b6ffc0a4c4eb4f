"""On the production adapters (PostgreSQL and Redis) a request's trace holds a span for each
SQL statement, the fast path's included, and for each Redis command."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lana_adapters.settings import Settings
from lana_http import create_app
from tests.e2e.api import Api
from tests.e2e.conftest import http_settings, make_container
from tests.integration.redis.servers import delete_prefixed, redis_unavailable, unique_prefix
from tests.integration.sql.databases import postgres_database, postgres_unavailable


@pytest.fixture
def redis_prefix(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for reason in (postgres_unavailable(), redis_unavailable()):
        if reason is not None:
            pytest.skip(reason)
    prefix = unique_prefix()
    monkeypatch.setenv("LANA_REDIS_KEY_PREFIX", prefix)
    yield prefix
    delete_prefixed(os.environ["LANA_TEST_REDIS_URL"], prefix)


@pytest.fixture
async def served(redis_prefix: str, spans: InMemorySpanExporter) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = Settings.from_env(
        {
            **os.environ,
            "LANA_DATABASE_URL": postgres_database(),
            "LANA_REDIS_URL": os.environ["LANA_TEST_REDIS_URL"],
        }
    )
    container = make_container(settings, embedded_relay=False)
    async with AsyncTestClient(create_app(container, http_settings())) as client:
        yield client


def _in_trace_of(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    server = next(s for s in spans if s.name == name)
    assert server.context is not None
    return [s for s in spans if s.context is not None and s.context.trace_id == server.context.trace_id]


async def test_a_customer_creation_traces_its_sql_statements_and_redis_commands(
    served: AsyncTestClient[Litestar], spans: InMemorySpanExporter
) -> None:
    api = await Api.signup(served)
    spans.clear()
    await api.customer(name="Ada Lovelace")

    in_trace = _in_trace_of(list(spans.get_finished_spans()), "POST /api/v1/customers")
    systems = {(s.attributes or {}).get("db.system") for s in in_trace}
    assert {"postgresql", "redis"} <= systems
    inserts = {
        str((s.attributes or {}).get("db.query.text", "")).split("(")[0].strip()
        for s in in_trace
        if s.name == "INSERT"
    }
    assert {"INSERT INTO customers", "INSERT INTO outbox", "INSERT INTO audit_log"} <= inserts
    redis_spans = [s for s in in_trace if (s.attributes or {}).get("db.system") == "redis"]
    redis_text = " ".join(str(s.attributes) for s in redis_spans)
    assert "Ada Lovelace" not in redis_text
    assert "Bearer" not in redis_text
