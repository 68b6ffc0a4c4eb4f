"""Insight generation: model answers, every fallback, breaker, budget, dedup, reuse, batch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import cast
from uuid import UUID, uuid4

import attrs
import pytest

from lana_core.domain.customers import Customer, CustomerValue
from lana_core.domain.insights import (
    ChurnRisk,
    Insight,
    InsightContext,
    InsightDraft,
    InsightSource,
    ModelUsage,
)
from lana_core.domain.pagination import PageRequest
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.errors import Conflict, NotFound, PermissionDenied, Unavailable, ValidationError
from lana_core.memory import InMemoryCache, InMemoryStore, InMemoryUnitOfWorkFactory, ManualClock
from lana_core.ports import CacheKey, UnitOfWork, UnitOfWorkFactory
from lana_core.rules_engine import RulesInsightModel
from lana_core.system import TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import ArchiveCustomerHandler, CreateCustomer, CreateCustomerHandler
from lana_core.usecases.insights import (
    GenerateInsight,
    GenerateInsightHandler,
    GenerateInsightsBatch,
    GenerateInsightsBatchHandler,
    GetLatestInsightHandler,
    InsightOptions,
    ListInsightsHandler,
)
from lana_core.usecases.tenants import ChangeTenantSettings, ChangeTenantSettingsHandler
from tests.support import make_tenant, make_user


class FakeModel:
    """A model that answers after ``delay`` seconds, or fails as told; counts its calls."""

    name = "fake-llm"

    def __init__(self, *, delay: float = 0.0, error: Exception | None = None) -> None:
        self.delay = delay
        self.error = error
        self.calls = 0
        self.active = 0
        self.max_active = 0
        self.answer = InsightDraft(
            health_score=77,
            churn_risk=ChurnRisk.LOW,
            summary="A steady customer. Keep going.",
            recommendations=("Send the quarterly review.",),
            signals=(),
            model="fake-llm",
            usage=ModelUsage(prompt_tokens=120, completion_tokens=40),
        )

    async def assess(self, context: InsightContext) -> InsightDraft:
        self.calls += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.active -= 1
        if self.error is not None:
            raise self.error
        return self.answer


class OpenUnits:
    """Wraps a unit-of-work factory to count the units open at any moment."""

    def __init__(self, inner: UnitOfWorkFactory) -> None:
        self.inner = inner
        self.open = 0

    def __call__(self, tenant_id: UUID) -> UnitOfWork:
        # Only entering and leaving are tracked: the block works on the unit _Tracked yields.
        return cast("UnitOfWork", _Tracked(self, self.inner(tenant_id)))


class _Tracked:
    def __init__(self, owner: OpenUnits, uow: UnitOfWork) -> None:
        self.owner, self.uow = owner, uow

    async def __aenter__(self) -> UnitOfWork:
        self.owner.open += 1
        return await self.uow.__aenter__()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.owner.open -= 1
        await self.uow.__aexit__(kind, error, tb)


async def new_customer(kernel: Kernel, actor: Actor, name: str = "Ada", **fields: object) -> Customer:
    return await CreateCustomerHandler(kernel)(actor, CreateCustomer(name=name, **fields))  # type: ignore[arg-type]


def handler(kernel: Kernel, model: object, **options: float) -> GenerateInsightHandler:
    return GenerateInsightHandler(kernel, model, options=InsightOptions(**options))  # type: ignore[arg-type]


async def generate(
    h: GenerateInsightHandler, actor: Actor, customer: Customer, refresh: bool = True
) -> Insight:
    return await h(actor, GenerateInsight(customer_id=customer.id, refresh=refresh))


async def test_a_model_answer_is_stored_with_its_usage_and_announced(
    kernel: Kernel, store: InMemoryStore, admin: Actor
) -> None:
    customer = await new_customer(kernel, admin)
    model = FakeModel(delay=0.02)
    insight = await generate(handler(kernel, model), admin, customer)
    assert (insight.source, insight.fallback_reason, insight.model) == (InsightSource.LLM, None, "fake-llm")
    assert (insight.health_score, insight.prompt_tokens, insight.completion_tokens) == (77, 120, 40)
    assert insight.latency_ms >= 20
    assert await GetLatestInsightHandler(kernel)(admin, customer.id) == insight
    generated = [row.event for row in store.outbox.values() if row.event.type == "insight.generated"]
    assert [e.aggregate_id for e in generated] == [insight.id]


async def test_the_model_is_called_with_no_transaction_open(store: InMemoryStore, clock: ManualClock) -> None:
    units = OpenUnits(InMemoryUnitOfWorkFactory(store))
    kernel = Kernel(uow=units, clock=clock, ids=TimeOrderedIds(), cache=InMemoryCache())
    admin = await make_tenant(kernel)
    customer = await new_customer(kernel, admin)
    seen: list[int] = []

    class Probe(FakeModel):
        async def assess(self, context: InsightContext) -> InsightDraft:
            seen.append(units.open)
            return await super().assess(context)

    await generate(handler(kernel, Probe()), admin, customer)
    assert seen == [0]


async def test_the_rules_engine_as_model_answers_without_a_fallback_reason(
    kernel: Kernel, admin: Actor
) -> None:
    customer = await new_customer(kernel, admin, value=CustomerValue.HIGH)
    insight = await generate(GenerateInsightHandler(kernel, RulesInsightModel()), admin, customer)
    assert (insight.source, insight.fallback_reason, insight.model) == (InsightSource.RULES, None, "rules-v1")
    assert any(s.detail == "High-value customer" for s in insight.signals)


@pytest.mark.parametrize(
    ("make_model", "reason"),
    [
        (lambda: None, "no_model"),
        (lambda: FakeModel(delay=10), "timeout"),
        (
            lambda: FakeModel(error=Unavailable("upstream answered 503")),
            "model_unavailable: upstream answered 503",
        ),
        (lambda: FakeModel(error=RuntimeError("boom")), "model_error: RuntimeError"),
    ],
)
async def test_the_rules_answer_and_say_why_when_the_model_cannot(
    kernel: Kernel, admin: Actor, make_model: Callable[[], FakeModel | None], reason: str
) -> None:
    customer = await new_customer(kernel, admin)
    insight = await generate(handler(kernel, make_model(), deadline_seconds=0.05), admin, customer)
    assert (insight.source, insight.fallback_reason, insight.model) == (
        InsightSource.RULES,
        reason,
        "rules-v1",
    )
    assert insight.latency_ms < 5_000


@pytest.mark.parametrize(
    "bad",
    [{"health_score": 101}, {"summary": "  "}, {"recommendations": ("",)}, {"health_score": True}],
)
async def test_invalid_model_output_is_never_stored(
    kernel: Kernel, admin: Actor, bad: dict[str, object]
) -> None:
    customer = await new_customer(kernel, admin)
    model = FakeModel()
    model.answer = attrs.evolve(model.answer, **bad)  # type: ignore[arg-type]
    insight = await generate(handler(kernel, model), admin, customer)
    assert (insight.source, insight.fallback_reason) == (InsightSource.RULES, "invalid_output")
    assert 0 <= insight.health_score <= 100


async def test_the_breaker_opens_after_the_threshold_and_lets_one_probe_through_after_cooling_down(
    kernel: Kernel, clock: ManualClock, admin: Actor
) -> None:
    customers = [await new_customer(kernel, admin, f"C{i}") for i in range(5)]
    model = FakeModel(error=Unavailable("down"))
    h = handler(kernel, model, breaker_threshold=3, breaker_cooldown_seconds=60)
    for _ in range(3):
        await generate(h, admin, customers[0])
    assert model.calls == 3
    assert (await generate(h, admin, customers[0])).fallback_reason == "circuit_open"
    clock.advance(timedelta(seconds=59))
    assert (await generate(h, admin, customers[0])).fallback_reason == "circuit_open"
    assert model.calls == 3

    clock.advance(timedelta(seconds=2))
    model.delay = 0.02
    reasons = [i.fallback_reason for i in await asyncio.gather(*(generate(h, admin, c) for c in customers))]
    assert model.calls == 4
    assert sorted(reasons, key=str) == ["circuit_open"] * 4 + ["model_unavailable: down"]
    assert (await generate(h, admin, customers[0])).fallback_reason == "circuit_open"

    clock.advance(timedelta(seconds=61))
    model.error = None
    assert (await generate(h, admin, customers[0])).source is InsightSource.LLM
    assert (await generate(h, admin, customers[1])).source is InsightSource.LLM
    assert model.calls == 6


async def test_the_daily_budget_caps_model_calls_until_the_next_utc_day(
    kernel: Kernel, clock: ManualClock, admin: Actor
) -> None:
    await ChangeTenantSettingsHandler(kernel)(
        admin, ChangeTenantSettings(settings=TenantSettings(daily_model_call_budget=2))
    )
    customer = await new_customer(kernel, admin)
    model = FakeModel()
    h = handler(kernel, model)
    sources = [(await generate(h, admin, customer)).fallback_reason for _ in range(3)]
    assert sources == [None, None, "budget_exhausted"]
    assert model.calls == 2
    clock.advance(timedelta(days=1))
    assert (await generate(h, admin, customer)).source is InsightSource.LLM


async def test_calls_in_flight_count_against_the_budget(kernel: Kernel, admin: Actor) -> None:
    await ChangeTenantSettingsHandler(kernel)(
        admin, ChangeTenantSettings(settings=TenantSettings(daily_model_call_budget=1))
    )
    first, second = await new_customer(kernel, admin, "A"), await new_customer(kernel, admin, "B")
    model = FakeModel(delay=0.02)
    h = handler(kernel, model)
    results = await asyncio.gather(generate(h, admin, first), generate(h, admin, second))
    assert sorted(str(i.fallback_reason) for i in results) == ["None", "budget_exhausted"]
    assert model.calls == 1


async def test_concurrent_requests_for_one_customer_share_one_model_call(
    kernel: Kernel, admin: Actor
) -> None:
    customer = await new_customer(kernel, admin)
    model = FakeModel(delay=0.02)
    h = handler(kernel, model)
    results = await asyncio.gather(*(generate(h, admin, customer, refresh=False) for _ in range(10)))
    assert model.calls == 1
    assert len({insight.id for insight in results}) == 1
    page = await ListInsightsHandler(kernel)(admin, customer.id)
    assert len(page.items) == 1


async def test_a_fresh_stored_insight_is_reused_unless_refresh_or_too_old(
    kernel: Kernel, clock: ManualClock, admin: Actor
) -> None:
    customer = await new_customer(kernel, admin)
    model = FakeModel()
    h = handler(kernel, model)
    first = await generate(h, admin, customer, refresh=False)
    clock.advance(timedelta(hours=23))
    assert (await generate(h, admin, customer, refresh=False)).id == first.id
    assert model.calls == 1
    refreshed = await generate(h, admin, customer, refresh=True)
    clock.advance(timedelta(hours=25))
    aged_out = await generate(h, admin, customer, refresh=False)
    assert len({first.id, refreshed.id, aged_out.id}) == 3
    assert model.calls == 3


async def test_insights_are_listed_newest_first_in_pages(
    kernel: Kernel, clock: ManualClock, admin: Actor
) -> None:
    customer = await new_customer(kernel, admin)
    h = GenerateInsightHandler(kernel, RulesInsightModel())
    made = []
    for _ in range(3):
        made.append(await generate(h, admin, customer))
        clock.advance(timedelta(minutes=1))
    first = await ListInsightsHandler(kernel)(admin, customer.id, PageRequest.of(2))
    rest = await ListInsightsHandler(kernel)(admin, customer.id, PageRequest.of(2, first.next_cursor))
    assert [i.id for i in (*first.items, *rest.items)] == [i.id for i in reversed(made)]
    assert (await GetLatestInsightHandler(kernel)(admin, customer.id)).id == made[-1].id


async def test_generating_needs_a_readable_live_customer_and_the_right_role(
    kernel: Kernel, admin: Actor
) -> None:
    customer = await new_customer(kernel, admin)
    viewer = await make_user(kernel, admin, Role.VIEWER)
    h = GenerateInsightHandler(kernel, RulesInsightModel())
    with pytest.raises(PermissionDenied):
        await generate(h, viewer, customer)
    other_tenant = await make_tenant(kernel, "globex")
    with pytest.raises(NotFound):
        await generate(h, other_tenant, customer)
    with pytest.raises(NotFound):
        await GetLatestInsightHandler(kernel)(viewer, customer.id)
    await ArchiveCustomerHandler(kernel)(admin, customer.id)
    with pytest.raises(Conflict):
        await generate(h, admin, customer)


async def test_a_new_insight_drops_the_cached_insight_views(kernel: Kernel, admin: Actor) -> None:
    customer = await new_customer(kernel, admin)
    key = CacheKey(admin.tenant_id, "insights", f"latest:{customer.id}")
    computed = []

    async def compute() -> int:
        computed.append(1)
        return len(computed)

    assert await kernel.cache.get_or_compute(key, int, compute, 60) == 1
    await generate(GenerateInsightHandler(kernel, RulesInsightModel()), admin, customer)
    assert await kernel.cache.get_or_compute(key, int, compute, 60) == 2


async def test_a_batch_runs_at_most_the_configured_number_at_once_and_reports_each_customer(
    kernel: Kernel, admin: Actor
) -> None:
    customers = [await new_customer(kernel, admin, f"C{i}") for i in range(6)]
    model = FakeModel(delay=0.01)
    generator = handler(kernel, model, batch_concurrency=2)
    progress: list[tuple[int, int]] = []
    missing = uuid4()
    ids = (*(c.id for c in customers), missing)
    items = await GenerateInsightsBatchHandler(kernel, generator)(
        admin, GenerateInsightsBatch(customer_ids=ids), lambda done, total: progress.append((done, total))
    )
    assert model.max_active == 2
    assert model.calls == 6
    assert [item.customer_id for item in items] == list(ids)
    assert all(item.insight is not None and item.insight.source is InsightSource.LLM for item in items[:6])
    assert (items[6].insight, items[6].error) == (None, "not_found")
    assert progress == [(n, 7) for n in range(1, 8)]


async def test_a_batch_by_query_assesses_the_matching_customers(kernel: Kernel, admin: Actor) -> None:
    high = [await new_customer(kernel, admin, f"H{i}", value=CustomerValue.HIGH) for i in range(3)]
    await new_customer(kernel, admin, "Low", value=CustomerValue.LOW)
    generator = GenerateInsightHandler(kernel, RulesInsightModel())
    query = CustomerQuery(value=CustomerValue.HIGH, page=PageRequest.of(2))
    items = await GenerateInsightsBatchHandler(kernel, generator)(admin, GenerateInsightsBatch(query=query))
    assert {item.customer_id for item in items} == {c.id for c in high}
    assert all(item.error is None for item in items)


async def test_a_batch_needs_ids_or_a_query_and_the_right_role(kernel: Kernel, admin: Actor) -> None:
    batch = GenerateInsightsBatchHandler(kernel, GenerateInsightHandler(kernel, RulesInsightModel()))
    with pytest.raises(ValidationError):
        await batch(admin, GenerateInsightsBatch())
    with pytest.raises(ValidationError):
        await batch(admin, GenerateInsightsBatch(customer_ids=()))
    viewer = await make_user(kernel, admin, Role.VIEWER)
    with pytest.raises(PermissionDenied):
        await batch(viewer, GenerateInsightsBatch(customer_ids=(uuid4(),)))
