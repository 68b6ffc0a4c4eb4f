"""How one insight is produced: gather the context, ask the model within its limits, fall
back to the rules when it cannot answer, and say why."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from attrs import frozen

from lana_core.domain.customers import Customer
from lana_core.domain.insights import InsightContext, InsightDraft, InsightSource
from lana_core.errors import Unavailable
from lana_core.ports import Clock, InsightModel, UnitOfWork, UnitOfWorkFactory
from lana_core.rules_engine import RulesInsightModel
from lana_core.usecases._insight_resilience import CallBudget, CircuitBreaker, InsightOptions

T = TypeVar("T")

RECENT_PROJECTS = 3
ENGAGEMENT_WINDOW = timedelta(days=30)
MAX_REASON_DETAIL = 200

# Stable codes stored in Insight.fallback_reason (alone, or as "code: detail").
NO_MODEL = "no_model"
TIMEOUT = "timeout"
RATE_LIMITED = "rate_limited"
REFUSAL = "refusal"
INVALID_OUTPUT = "invalid_output"
MODEL_UNAVAILABLE = "model_unavailable"
MODEL_ERROR = "model_error"
CIRCUIT_OPEN = "circuit_open"
BUDGET_EXHAUSTED = "budget_exhausted"
# Reasons a model's Unavailable may give that are fallback reasons of their own (see the
# InsightModel port); any other reason is recorded as "model_unavailable: <reason>".
_OWN_REASONS = frozenset({TIMEOUT, RATE_LIMITED, REFUSAL, INVALID_OUTPUT})


async def gather_context(uow: UnitOfWork, customer: Customer, now: datetime) -> InsightContext:
    """Everything the models look at for ``customer``, read in ``uow``."""
    customer_id = customer.id
    last = await uow.interactions.last_for_customer(customer_id)
    days = None if last is None else max(0, (now - last.occurred_at).days)
    recent = 0
    if last is not None:
        recent = await uow.interactions.count_for_customer(customer_id, since=now - ENGAGEMENT_WINDOW)
    return InsightContext(
        customer=customer,
        project_stats=await uow.projects.stats_for_customer(customer_id, now.date()),
        task_stats=await uow.tasks.stats_for_customer(customer_id),
        recent_projects=tuple(await uow.projects.recent_for_customer(customer_id, RECENT_PROJECTS)),
        interaction_count=await uow.interactions.count_for_customer(customer_id),
        days_since_last_interaction=days,
        interactions_last_30_days=recent,
        now=now,
    )


@frozen(kw_only=True)
class Assessment:
    """A checked draft, who made it, why the rules answered if they did, and how long it took."""

    draft: InsightDraft
    source: InsightSource
    fallback_reason: str | None
    latency_ms: float


class _ModelFailedError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ModelGate:
    """Asks the model under a deadline, a circuit breaker and each tenant's daily budget;
    the fallback answers whenever the model is not asked or does not answer well.

    One gate serves a whole process: its breaker and budget counters are shared state.
    """

    __slots__ = ("_breaker", "_budget", "_clock", "_fallback", "_model", "_options")

    def __init__(
        self,
        *,
        model: InsightModel | None,
        fallback: InsightModel,
        options: InsightOptions,
        clock: Clock,
        uow: UnitOfWorkFactory,
    ) -> None:
        self._model = model
        self._fallback = fallback
        self._options = options
        self._clock = clock
        self._breaker = CircuitBreaker(
            options.breaker_threshold, timedelta(seconds=options.breaker_cooldown_seconds)
        )
        self._budget = CallBudget(uow)

    @property
    def breaker(self) -> CircuitBreaker:
        return self._breaker

    @property
    def budget(self) -> CallBudget:
        return self._budget

    @property
    def calls_model(self) -> bool:
        """Whether assessments may reach a model other than the rules."""
        model = self._model
        return model is not None and model is not self._fallback and not isinstance(model, RulesInsightModel)

    async def run(
        self,
        tenant_id: UUID,
        context: InsightContext,
        daily_budget: int,
        keep: Callable[[Assessment], Coroutine[Any, Any, T]],
    ) -> T:
        """Assess (with the model if allowed and able, else with the fallback), then ``keep``
        the result while the model call still counts against the budget. Raises whatever
        ``keep`` raises; nothing the model raises gets through."""
        started = time.perf_counter()
        if not self.calls_model:
            return await keep(await self._without_model(context, started))
        if not await self._budget.try_acquire(tenant_id, daily_budget, self._clock.now()):
            return await keep(await self._fall_back(context, BUDGET_EXHAUSTED, started))
        try:
            assert self._model is not None
            return await keep(await self._guarded(self._model, context, started))
        finally:
            await self._budget.release(tenant_id)

    async def _without_model(self, context: InsightContext, started: float) -> Assessment:
        if self._model is None:
            return await self._fall_back(context, NO_MODEL, started)
        draft = await self._model.assess(context)
        return Assessment(
            draft=draft, source=InsightSource.RULES, fallback_reason=None, latency_ms=_since(started)
        )

    async def _guarded(self, model: InsightModel, context: InsightContext, started: float) -> Assessment:
        if not self._breaker.allow(self._clock.now()):
            return await self._fall_back(context, CIRCUIT_OPEN, started)
        try:
            draft = await self._ask(model, context)
        except _ModelFailedError as failure:
            self._breaker.record_failure(self._clock.now())
            return await self._fall_back(context, failure.reason, started)
        except asyncio.CancelledError:
            self._breaker.release()
            raise
        self._breaker.record_success()
        return Assessment(
            draft=draft, source=InsightSource.LLM, fallback_reason=None, latency_ms=_since(started)
        )

    async def _ask(self, model: InsightModel, context: InsightContext) -> InsightDraft:
        try:
            async with asyncio.timeout(self._options.deadline_seconds):
                answer = await model.assess(context)
        except TimeoutError:
            raise _ModelFailedError(TIMEOUT) from None
        except Unavailable as error:
            raise _ModelFailedError(unavailable_reason(error.message)) from None
        except Exception as error:
            raise _ModelFailedError(f"{MODEL_ERROR}: {type(error).__name__}") from None
        return _checked(answer)

    async def _fall_back(self, context: InsightContext, reason: str, started: float) -> Assessment:
        draft = await self._fallback.assess(context)
        self._options.on_fallback(reason_code(reason))
        return Assessment(
            draft=draft, source=InsightSource.RULES, fallback_reason=reason, latency_ms=_since(started)
        )


def reason_code(reason: str) -> str:
    """The stable code of a fallback reason: ``model_unavailable: refused`` → ``model_unavailable``."""
    return reason.partition(":")[0]


def unavailable_reason(message: str) -> str:
    """The fallback reason of a model's ``Unavailable(message)``: the message itself when it
    names a reason of its own (``timeout``, ``rate_limited``, ``refusal``, ``invalid_output:
    …``), else ``model_unavailable: <message>``; at most ``MAX_REASON_DETAIL`` of it kept."""
    detail = message[:MAX_REASON_DETAIL]
    if reason_code(detail) in _OWN_REASONS:
        return detail
    return f"{MODEL_UNAVAILABLE}: {detail}"


def _checked(answer: object) -> InsightDraft:
    """The model's answer if it is a valid draft; anything malformed is invalid output."""
    if not isinstance(answer, InsightDraft):
        raise _ModelFailedError(INVALID_OUTPUT)
    try:
        return answer.validate()
    except Exception:
        raise _ModelFailedError(INVALID_OUTPUT) from None


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
