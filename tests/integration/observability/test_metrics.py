"""``GET /metrics`` shows what happened: requests per route, and the outbox's backlog."""

from __future__ import annotations

import re
import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lana_adapters.sql import SqlOutboxRelayStore, SqlSettings, create_engine_from
from lana_adapters.telemetry import LanaMetrics
from lana_adapters.telemetry.instruments import CountingCache, CountingModel
from lana_core.domain.insights import InsightContext, InsightDraft
from lana_core.errors import Unavailable
from lana_core.memory import InMemoryCache
from lana_core.ports import CacheKey
from lana_core.rules_engine import RulesInsightModel
from tests.e2e.api import Api
from tests.integration.observability.conftest import METRICS_TOKEN
from tests.integration.openai.conftest import make_context

BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def _value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    assert match, f"{series} not in\n{text}"
    return float(match.group(1))


async def _scrape(client: AsyncTestClient[Litestar]) -> str:
    response = await client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


async def test_metrics_need_the_token_when_one_is_set(client: AsyncTestClient[Litestar]) -> None:
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401


async def test_requests_are_counted_and_timed_per_route(client: AsyncTestClient[Litestar]) -> None:
    api = await Api.signup(client)
    for _ in range(2):
        assert (await api.get("/customers")).status_code == 200
    text = await _scrape(client)
    route = 'method="GET",route="/api/v1/customers"'
    assert _value(text, f'lana_http_requests_total{{{route},status="200"}}') == 2
    assert _value(text, f"lana_http_request_duration_seconds_count{{{route}}}") == 2
    assert _value(text, f'lana_http_request_duration_seconds_bucket{{{route},le="+Inf"}}') == 2


async def test_outbox_backlog_and_dead_rows_are_reported(
    client: AsyncTestClient[Litestar], database_url: str
) -> None:
    api = await Api.signup(client)
    await api.customer(name="Ada Lovelace")
    engine = create_engine_from(SqlSettings(url=database_url))
    try:
        store = SqlOutboxRelayStore(engine)
        pending = await store.pending_count()
        claimed = await store.claim(1, lease_seconds=60)
        await store.mark_failed(claimed[0].event.id, "refused", dead=True)
    finally:
        await engine.dispose()
    text = await _scrape(client)
    assert _value(text, "lana_outbox_pending_events") == pending - 1
    assert _value(text, "lana_outbox_dead_events") == 1
    assert _value(text, "lana_outbox_lag_seconds") >= 0


async def test_cache_lookups_count_hits_and_misses() -> None:
    metrics = LanaMetrics()
    cache = CountingCache(InMemoryCache(), metrics)
    key = CacheKey(tenant_id=uuid.uuid4(), namespace="customers", params="page=1")

    async def compute() -> int:
        return 7

    for _ in range(3):
        assert await cache.get_or_compute(key, int, compute, 60) == 7
    text = await metrics.registry.render()
    assert _value(text, 'lana_cache_requests_total{result="miss"}') == 1
    assert _value(text, 'lana_cache_requests_total{result="hit"}') == 2


class _DownModel:
    name = "down"

    async def assess(self, context: InsightContext) -> InsightDraft:
        raise Unavailable("connection refused")


async def test_model_calls_and_fallbacks_are_counted_with_their_reason() -> None:
    metrics = LanaMetrics()
    working, down = CountingModel(RulesInsightModel(), metrics), CountingModel(_DownModel(), metrics)
    await working.assess(make_context())
    with pytest.raises(Unavailable):
        await down.assess(make_context())
    text = await metrics.registry.render()
    assert _value(text, 'lana_model_calls_total{outcome="ok"}') == 1
    assert _value(text, 'lana_model_calls_total{outcome="failed"}') == 1
    assert _value(text, 'lana_model_fallbacks_total{reason="model_unavailable"}') == 1
