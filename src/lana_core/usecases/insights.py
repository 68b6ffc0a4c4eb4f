"""Insight use cases: generate one customer's insight or many, read the latest, list the history."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from attrs import evolve, frozen

from lana_core.domain import events
from lana_core.domain.customers import Customer
from lana_core.domain.insights import Insight, InsightContext
from lana_core.domain.pagination import Page, PageRequest
from lana_core.domain.policy import Action, Resource, authorize
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor, TenantSettings
from lana_core.errors import Conflict, LanaError, NotFound, ValidationError
from lana_core.ports import InsightModel, UnitOfWork
from lana_core.rules_engine import RulesInsightModel
from lana_core.usecases._base import Change, Kernel, UseCase, authorize_in, tenant_settings
from lana_core.usecases._insight_generation import Assessment, ModelGate, gather_context
from lana_core.usecases._insight_resilience import InsightOptions, SharedCalls
from lana_core.usecases.customers import ListCustomersHandler, load_customer, owns

__all__ = [
    "MAX_BATCH_CUSTOMERS",
    "BatchItem",
    "GenerateInsight",
    "GenerateInsightHandler",
    "GenerateInsightsBatch",
    "GenerateInsightsBatchHandler",
    "GetLatestInsightHandler",
    "InsightOptions",
    "ListInsightsHandler",
]

_log = logging.getLogger(__name__)

MAX_BATCH_CUSTOMERS = 500
INTERNAL_ERROR = "internal_error"


@frozen(kw_only=True)
class GenerateInsight:
    """``refresh`` asks for a new assessment even when a fresh stored one exists."""

    customer_id: UUID
    refresh: bool = False


class GenerateInsightHandler(UseCase):
    """Assess a customer and store the insight; emits ``insight.generated``.

    Rules: the actor must be able to read the customer and create insights; a stored
    insight younger than the tenant's ``insight_max_age_seconds`` is returned unless
    ``refresh``; the model is called outside any transaction, under a deadline, a circuit
    breaker and the tenant's daily call budget, and the rules answer (with the reason
    recorded) whenever it cannot; concurrent requests for one customer share one
    generation. Keep one instance per process: it holds the breaker and budget state.
    Raises NotFound, PermissionDenied, Conflict (archived customer).
    """

    __slots__ = ("_gate", "_options", "_shared")

    def __init__(
        self,
        kernel: Kernel,
        model: InsightModel | None,
        fallback: InsightModel | None = None,
        options: InsightOptions | None = None,
    ) -> None:
        super().__init__(kernel)
        self._options = options or InsightOptions()
        self._gate = ModelGate(
            model=model,
            fallback=fallback or RulesInsightModel(),
            options=self._options,
            clock=kernel.clock,
            uow=kernel.uow,
        )
        self._shared: SharedCalls[Insight] = SharedCalls()

    @property
    def options(self) -> InsightOptions:
        return self._options

    @property
    def gate(self) -> ModelGate:
        return self._gate

    async def __call__(self, actor: Actor, command: GenerateInsight) -> Insight:
        now = self._now()
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await tenant_settings(uow, actor)
            customer = await _customer_for_insight(uow, actor, command.customer_id, settings)
            if not command.refresh:
                latest = await uow.insights.latest_for_customer(customer.id)
                if latest is not None and _is_fresh(latest, now, settings):
                    return latest
            context = await gather_context(uow, customer, now)
        key = (actor.tenant_id, customer.id, command.refresh)
        return await self._shared.run(key, lambda: self._produce(actor, context, settings))

    async def _produce(self, actor: Actor, context: InsightContext, settings: TenantSettings) -> Insight:
        return await self._gate.run(
            actor.tenant_id,
            context,
            settings.daily_model_call_budget,
            lambda assessment: self._store(actor, context.customer, assessment),
        )

    async def _store(self, actor: Actor, customer: Customer, assessment: Assessment) -> Insight:
        now = self._now()
        insight = Insight.from_draft(
            assessment.draft,
            id=self._id(),
            tenant_id=actor.tenant_id,
            customer_id=customer.id,
            source=assessment.source,
            fallback_reason=assessment.fallback_reason,
            latency_ms=assessment.latency_ms,
            now=now,
        )
        async with self._kernel.change(actor.tenant_id) as unit:
            uow = unit.uow
            await uow.insights.add(insight)
            await unit.record(actor, now, _generated(insight))
            await unit.commit()
        return insight


class GetLatestInsightHandler(UseCase):
    """The customer's most recent insight. Raises NotFound (customer hidden or no insight yet)."""

    __slots__ = ()

    async def __call__(self, actor: Actor, customer_id: UUID) -> Insight:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await _readable(uow, actor, customer_id)
            latest = await uow.insights.latest_for_customer(customer_id)
        if latest is None:
            # The customer exists: what is missing is an insight of it, which has no id to name.
            raise NotFound("insight", None, f"customer {customer_id} has no insight yet")
        return latest


class ListInsightsHandler(UseCase):
    """The customer's insights, newest first, one page at a time. Raises NotFound."""

    __slots__ = ()

    async def __call__(
        self, actor: Actor, customer_id: UUID, page: PageRequest | None = None
    ) -> Page[Insight]:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await _readable(uow, actor, customer_id)
            return await uow.insights.list_for_customer(customer_id, page or PageRequest())


@frozen(kw_only=True)
class GenerateInsightsBatch:
    """Assess many customers: either ``customer_ids`` or the customers a ``query`` matches."""

    customer_ids: tuple[UUID, ...] | None = None
    query: CustomerQuery | None = None
    refresh: bool = False


@frozen(kw_only=True)
class BatchItem:
    """One customer's outcome: its insight, or the stable code of the error it raised."""

    customer_id: UUID
    insight: Insight | None = None
    error: str | None = None


Progress = Callable[[int, int], None]


class GenerateInsightsBatchHandler(UseCase):
    """Generate insights for many customers, at most ``options.batch_concurrency`` at a time.

    Rules: at most :data:`MAX_BATCH_CUSTOMERS` customers; one customer's failure is recorded
    in its item and never fails the batch; ``progress(done, total)`` is called after each.
    Raises ValidationError (neither or both of ids and query, too many customers),
    PermissionDenied (the actor may not create insights).
    """

    __slots__ = ("_generate",)

    def __init__(self, kernel: Kernel, generate: GenerateInsightHandler) -> None:
        super().__init__(kernel)
        self._generate = generate

    async def __call__(
        self, actor: Actor, command: GenerateInsightsBatch, progress: Progress | None = None
    ) -> tuple[BatchItem, ...]:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await authorize_in(uow, actor, Action.CREATE, Resource.INSIGHT)
        targets = await self._targets(actor, command)
        limit = asyncio.Semaphore(self._generate.options.batch_concurrency)
        done = 0

        async def one(customer_id: UUID) -> BatchItem:
            nonlocal done
            async with limit:
                item = await self._one(actor, customer_id, command.refresh)
            done += 1
            if progress is not None:
                progress(done, len(targets))
            return item

        return tuple(await asyncio.gather(*(one(c) for c in targets)))

    async def _one(self, actor: Actor, customer_id: UUID, refresh: bool) -> BatchItem:
        try:
            insight = await self._generate(actor, GenerateInsight(customer_id=customer_id, refresh=refresh))
        except LanaError as error:
            return BatchItem(customer_id=customer_id, error=error.code)
        except Exception:
            # Recorded, not raised: one customer's bug must not sink the others' insights.
            _log.exception("insight generation failed for customer %s", customer_id)
            return BatchItem(customer_id=customer_id, error=INTERNAL_ERROR)
        return BatchItem(customer_id=customer_id, insight=insight)

    async def _targets(self, actor: Actor, command: GenerateInsightsBatch) -> tuple[UUID, ...]:
        if (command.customer_ids is None) == (command.query is None):
            raise ValidationError.single("customer_ids", "one_of", "give either customer_ids or a query")
        if command.customer_ids is not None:
            targets = tuple(dict.fromkeys(command.customer_ids))
            field = "customer_ids"
        else:
            assert command.query is not None
            targets = await self._matching(actor, command.query)
            field = "query"
        if not targets and field == "customer_ids":
            raise ValidationError.single(field, "required", "must name at least one customer")
        if len(targets) > MAX_BATCH_CUSTOMERS:
            raise ValidationError.single(
                field, "too_many", f"at most {MAX_BATCH_CUSTOMERS} customers per batch"
            )
        return targets

    async def _matching(self, actor: Actor, query: CustomerQuery) -> tuple[UUID, ...]:
        """Ids of the customers the query matches for this actor, one past the cap at most."""
        lister = ListCustomersHandler(self._kernel)
        found: list[UUID] = []
        while len(found) <= MAX_BATCH_CUSTOMERS:
            page = await lister(actor, query)
            found.extend(customer.id for customer in page.items)
            if page.next_cursor is None:
                break
            query = evolve(query, page=PageRequest.of(query.page.limit, page.next_cursor))
        return tuple(dict.fromkeys(found))


async def _customer_for_insight(
    uow: UnitOfWork, actor: Actor, customer_id: UUID, settings: TenantSettings
) -> Customer:
    customer = await load_customer(uow, actor, customer_id, settings)
    authorize(actor, Action.CREATE, Resource.INSIGHT, owned=owns(actor, customer), settings=settings)
    if customer.is_archived:
        raise Conflict(f"customer {customer_id} is archived; restore it before assessing it")
    return customer


async def _readable(uow: UnitOfWork, actor: Actor, customer_id: UUID) -> None:
    settings = await tenant_settings(uow, actor)
    customer = await load_customer(uow, actor, customer_id, settings)
    authorize(actor, Action.READ, Resource.INSIGHT, owned=owns(actor, customer), settings=settings)


def _is_fresh(insight: Insight, now: datetime, settings: TenantSettings) -> bool:
    return (now - insight.created_at).total_seconds() < settings.insight_max_age_seconds


def _generated(insight: Insight) -> Change:
    summary = {
        "customer_id": str(insight.customer_id),
        "health_score": insight.health_score,
        "churn_risk": insight.churn_risk.value,
        "source": insight.source.value,
        "model": insight.model,
        "fallback_reason": insight.fallback_reason,
    }
    return Change(
        event_type=events.INSIGHT_GENERATED,
        aggregate_type="insight",
        aggregate_id=insight.id,
        aggregate_version=1,
        customer_id=insight.customer_id,
        before=None,
        after=summary,
    )
