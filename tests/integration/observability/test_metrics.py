"""``GET /metrics`` shows what happened: requests per route, and the outbox's backlog."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lana_adapters.settings import Settings
from lana_adapters.sql import SqlOutboxRelayStore, SqlSettings, create_engine_from
from lana_adapters.telemetry import LanaMetrics
from lana_adapters.telemetry.instruments import CountingCache, CountingModel
from lana_core.domain.insights import InsightContext, InsightDraft
from lana_core.errors import Unavailable
from lana_core.memory import InMemoryCache
from lana_core.ports import CacheKey
from lana_core.rules_engine import RulesInsightModel
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from lana_core.usecases.insights import GenerateInsight, GenerateInsightHandler, InsightOptions
from lana_http import create_app
from tests.e2e.api import Api
from tests.e2e.conftest import http_settings, make_container
from tests.integration.observability.conftest import METRICS_TOKEN
from tests.integration.observability.scrape import series_values, value
from tests.integration.openai.conftest import make_context
from tests.support import make_kernel, make_tenant

BEARER = {"Authorization": f"Bearer {METRICS_TOKEN}"}
T = TypeVar("T")


def _value(text: str, series: str) -> float:
    found = value(text, series)
    assert found is not None, f"{series} not in\n{text}"
    return found


def _value_or_zero(text: str, series: str) -> float:
    """A counter's value, 0 while it has not been incremented (the series is not shown yet)."""
    return value(text, series) or 0.0


async def _scrape(client: AsyncTestClient[Litestar]) -> str:
    response = await client.get("/metrics", headers=BEARER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


async def test_metrics_need_the_token_when_one_is_set(client: AsyncTestClient[Litestar]) -> None:
    assert (await client.get("/metrics")).status_code == 401
    assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
    assert (await client.get("/metrics", headers={"Authorization": "Bearer "})).status_code == 401


async def test_the_content_type_names_the_text_format_and_its_charset_once(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get("/metrics", headers=BEARER)
    assert response.headers.get_list("content-type") == ["text/plain; version=0.0.4; charset=utf-8"]


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


async def test_a_cached_read_shows_its_miss_then_its_hit_on_the_scrape(
    client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(client)
    before = await _scrape(client)
    for _ in range(2):  # the first computes the figures, the second is served from the cache
        assert (await api.get("/analytics/metrics")).status_code == 200
    after = await _scrape(client)
    for result in ("miss", "hit"):
        series = f'lana_cache_requests_total{{result="{result}"}}'
        assert _value_or_zero(after, series) - _value_or_zero(before, series) == 1, result


class _BrokenCache:
    """A cache whose every lookup fails the way an unexpected bug would."""

    async def get_or_compute(
        self, key: CacheKey, kind: type[T], compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        raise RuntimeError("cache bug")

    async def invalidate(self, tenant_id: uuid.UUID, namespaces: Sequence[str]) -> None:
        return None


@pytest.fixture
async def broken_cache_client(database_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The API on a cache that raises, so cached reads answer 500."""
    settings = Settings.from_env(
        {"LANA_DATABASE_URL": database_url, "LANA_METRICS_TOKEN": METRICS_TOKEN, "LANA_LOG_FORMAT": "json"}
    )
    container = make_container(settings, embedded_relay=False)
    container.cache.override(providers.Object(_BrokenCache()))
    async with AsyncTestClient(create_app(container, http_settings())) as client:
        yield client


async def test_a_request_failing_with_a_5xx_is_counted_as_an_error_of_its_route(
    broken_cache_client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(broken_cache_client)
    assert (await api.get("/analytics/metrics")).status_code == 500
    text = await _scrape(broken_cache_client)
    route = 'method="GET",route="/api/v1/analytics/metrics"'
    assert _value(text, f"lana_http_request_errors_total{{{route}}}") == 1
    assert _value(text, f'lana_http_requests_total{{{route},status="500"}}') == 1
    # Only that route failed: the sign-up and sign-in before it are no errors.
    assert series_values(text, "lana_http_request_errors_total") == {
        f"lana_http_request_errors_total{{{route}}}": 1
    }


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


async def test_model_calls_are_counted_ok_or_failed() -> None:
    metrics = LanaMetrics()
    working, down = CountingModel(RulesInsightModel(), metrics), CountingModel(_DownModel(), metrics)
    await working.assess(make_context())
    with pytest.raises(Unavailable):
        await down.assess(make_context())
    text = await metrics.registry.render()
    assert _value(text, 'lana_model_calls_total{outcome="ok"}') == 1
    assert _value(text, 'lana_model_calls_total{outcome="failed"}') == 1
    # The fallback is counted where the insight is generated, once, with its reason.
    assert "lana_model_fallbacks_total{" not in text


async def test_unknown_paths_share_one_route_label_with_their_status(
    client: AsyncTestClient[Litestar],
) -> None:
    for n in range(3):
        assert (await client.get(f"/wp-admin/{n}.php")).status_code == 404
    assert (await client.delete("/metrics", headers=BEARER)).status_code == 405
    assert (await client.request("BREW", "/coffee")).status_code in (404, 405)
    text = await _scrape(client)
    assert _value(text, 'lana_http_requests_total{method="GET",route="unmatched",status="404"}') == 3
    assert _value(text, 'lana_http_requests_total{method="DELETE",route="unmatched",status="405"}') == 1
    assert 'method="OTHER",route="unmatched"' in text
    assert "wp-admin" not in text
    assert "BREW" not in text


async def test_client_errors_are_counted_per_route_with_their_real_status(
    client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(client)
    missing = "01890000-0000-7000-8000-000000000000"
    assert (await api.get(f"/customers/{missing}")).status_code == 404
    assert (await client.get("/api/v1/customers")).status_code == 401  # refused by a middleware
    text = await _scrape(client)
    customer = 'method="GET",route="/api/v1/customers/{customer_id}"'
    assert _value(text, f'lana_http_requests_total{{{customer},status="404"}}') == 1
    assert _value(text, f"lana_http_request_duration_seconds_count{{{customer}}}") == 1
    listing = 'method="GET",route="/api/v1/customers"'
    assert _value(text, f'lana_http_requests_total{{{listing},status="401"}}') == 1
    assert f'lana_http_requests_total{{{listing},status="500"}}' not in text
    assert "lana_http_request_errors_total{" not in text


@pytest.fixture
async def down_model_client(database_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The API with a model that always refuses, counted like the configured one is."""
    settings = Settings.from_env(
        {"LANA_DATABASE_URL": database_url, "LANA_METRICS_TOKEN": METRICS_TOKEN, "LANA_LOG_FORMAT": "json"}
    )
    container = make_container(settings, embedded_relay=False)
    container.insight_model.override(providers.Object(CountingModel(_DownModel(), container.metrics())))
    async with AsyncTestClient(create_app(container, http_settings())) as client:
        yield client


async def test_every_rules_answered_insight_counts_as_a_fallback_with_its_reason(
    down_model_client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(down_model_client)
    customer = (await api.customer(name="Ada Lovelace"))["id"]
    reasons = [await _insight_reason(api, customer, budget=0)]
    for _ in range(6):  # five refusals open the breaker; the sixth insight never asks the model
        reasons.append(await _insight_reason(api, customer, budget=100))
    assert reasons == ["budget_exhausted", *["model_unavailable: connection refused"] * 5, "circuit_open"]
    text = await _scrape(down_model_client)
    assert _value(text, 'lana_model_fallbacks_total{reason="budget_exhausted"}') == 1
    assert _value(text, 'lana_model_fallbacks_total{reason="model_unavailable"}') == 5
    assert _value(text, 'lana_model_fallbacks_total{reason="circuit_open"}') == 1
    assert _value(text, 'lana_model_calls_total{outcome="failed"}') == 5


async def _insight_reason(api: Api, customer_id: str, *, budget: int) -> str:
    settings = {"agents_see_only_own_customers": False, "insight_max_age_seconds": 0}
    changed = await api.request(
        "PUT",
        "/tenant/settings",
        json={**settings, "daily_model_call_budget": budget},
        headers={"If-Match": "*"},
    )
    assert changed.status_code == 200, changed.text
    response = await api.post(f"/customers/{customer_id}/insights", json={"refresh": True})
    assert response.status_code in (200, 201), response.text
    assert response.json()["source"] == "rules"
    return str(response.json()["fallback_reason"])


class _MisbehavingModel:
    """Fails the way ``behaviour`` says: too slow, raising, or answering something that is no draft."""

    name = "misbehaving"

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour

    async def assess(self, context: InsightContext) -> InsightDraft:
        if self.behaviour == "slow":
            await asyncio.sleep(1)
        if self.behaviour == "raise":
            raise RuntimeError("boom")
        return "not a draft"  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("behaviour", "reason"), [("slow", "timeout"), ("raise", "model_error"), ("garbage", "invalid_output")]
)
async def test_a_fallback_is_counted_under_its_stable_reason_code(behaviour: str, reason: str) -> None:
    metrics = LanaMetrics()
    kernel = make_kernel()
    admin = await make_tenant(kernel)
    customer = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Ada"))
    options = InsightOptions(deadline_seconds=0.05, on_fallback=metrics.count_fallback)
    generate = GenerateInsightHandler(kernel, _MisbehavingModel(behaviour), options=options)
    insight = await generate(admin, GenerateInsight(customer_id=customer.id))
    assert insight.fallback_reason is not None
    assert insight.fallback_reason.startswith(reason)
    text = await metrics.registry.render()
    assert series_values(text, "lana_model_fallbacks_total") == {
        f'lana_model_fallbacks_total{{reason="{reason}"}}': 1
    }
