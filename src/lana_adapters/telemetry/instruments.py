"""Lana's metrics: HTTP, outbox, consumer, cache and insight model, on one :class:`Registry`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from lana_adapters.telemetry.metrics import Registry
from lana_adapters.telemetry.tracing import tracer
from lana_core.domain.insights import InsightContext, InsightDraft
from lana_core.errors import Unavailable
from lana_core.ports import Cache, CacheKey, InsightModel

T = TypeVar("T")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
MODEL_SPAN = "model assess"


class LanaMetrics:
    """Every instrument Lana records; one instance per process."""

    def __init__(self, registry: Registry | None = None) -> None:
        r = self.registry = registry or Registry()
        self.http_requests = r.counter(
            "lana_http_requests_total", "HTTP requests answered.", ("method", "route", "status")
        )
        self.http_errors = r.counter(
            "lana_http_request_errors_total", "HTTP requests answered with a 5xx.", ("method", "route")
        )
        self.http_latency = r.histogram(
            "lana_http_request_duration_seconds", "Time to answer.", ("method", "route"), LATENCY_BUCKETS
        )
        self.outbox_pending = r.gauge("lana_outbox_pending_events", "Outbox rows not yet published.")
        self.outbox_lag = r.gauge(
            "lana_outbox_lag_seconds", "Age of the oldest pending outbox row (0 when none)."
        )
        self.outbox_dead = r.gauge("lana_outbox_dead_events", "Outbox rows the relay gave up on.")
        self.deliveries = r.counter(
            "lana_consumer_deliveries_total", "Messages the consumer settled.", ("outcome",)
        )
        self.retries = r.counter("lana_consumer_retries_total", "Deliveries scheduled for a retry.")
        self.dlq_size = r.gauge("lana_consumer_dlq_messages", "Messages in the dead-letter queue.")
        self.cache = r.counter("lana_cache_requests_total", "Cache lookups.", ("result",))
        self.model_calls = r.counter("lana_model_calls_total", "Insight model calls.", ("outcome",))
        self.model_fallbacks = r.counter(
            "lana_model_fallbacks_total",
            "Insights the rules engine answered instead of a model.",
            ("reason",),
        )

    def count_fallback(self, reason: str) -> None:
        """One insight answered by the rules, by its stable reason code (``InsightOptions.on_fallback``)."""
        self.model_fallbacks.labels(reason=reason).inc()


class CountingCache:
    """A :class:`~lana_core.ports.Cache` that counts hits and misses of the cache it wraps."""

    __slots__ = ("_inner", "_metrics")

    def __init__(self, inner: Cache, metrics: LanaMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def get_or_compute(
        self, key: CacheKey, kind: type[T], compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        computed = False

        async def counted() -> T:
            nonlocal computed
            computed = True
            return await compute()

        value = await self._inner.get_or_compute(key, kind, counted, ttl_seconds)
        self._metrics.cache.labels(result="miss" if computed else "hit").inc()
        return value

    async def invalidate(self, tenant_id: UUID, namespaces: Sequence[str]) -> None:
        await self._inner.invalidate(tenant_id, namespaces)


class CountingModel:
    """An :class:`~lana_core.ports.InsightModel` that counts the calls of the model it wraps, ``ok``
    or ``failed``; the fallbacks that follow are counted where insights are generated, with
    those the model never saw (``circuit_open``, ``budget_exhausted``).

    Each call is also a client span ``model assess`` carrying the GenAI semantic conventions'
    attributes: the model asked for (``requested_model``), the one that answered and the tokens
    it used. Failures, a cancelled call included, leave the span with an error status.
    """

    __slots__ = ("_inner", "_metrics", "_request_attributes", "name")

    def __init__(
        self, inner: InsightModel, metrics: LanaMetrics, *, requested_model: str | None = None
    ) -> None:
        self._inner = inner
        self._metrics = metrics
        self.name = inner.name
        self._request_attributes = _request_attributes(inner.name, requested_model)

    async def assess(self, context: InsightContext) -> InsightDraft:
        # The status is set below: the SDK's own handling would skip a cancelled call.
        with tracer().start_as_current_span(
            MODEL_SPAN,
            kind=SpanKind.CLIENT,
            attributes=self._request_attributes,
            set_status_on_exception=False,
        ) as span:
            try:
                draft = await self._inner.assess(context)
            except (asyncio.CancelledError, Exception) as error:  # cancelled: the insight's deadline passed
                self._metrics.model_calls.labels(outcome="failed").inc()
                _record_failure(span, error)
                raise
            self._metrics.model_calls.labels(outcome="ok").inc()
            span.set_attributes(_response_attributes(draft))
            return draft


def _request_attributes(provider: str, requested_model: str | None) -> dict[str, AttributeValue]:
    # Lana's one model adapter asks for a chat completion.
    attributes: dict[str, AttributeValue] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
    }
    if requested_model:
        attributes["gen_ai.request.model"] = requested_model
    return attributes


def _response_attributes(answer: object) -> dict[str, AttributeValue]:
    # A model's answer is untrusted: checking it is the insight generation's job, so a span
    # reports only what a real draft tells (typed ``object`` for that reason).
    if not isinstance(answer, InsightDraft):
        return {}
    return {
        "gen_ai.response.model": answer.model,
        "gen_ai.usage.input_tokens": answer.usage.prompt_tokens,
        "gen_ai.usage.output_tokens": answer.usage.completion_tokens,
    }


def _record_failure(span: trace.Span, error: BaseException) -> None:
    kind = type(error).__name__
    span.set_attribute("error.type", kind)
    # Unavailable's message is its stable reason code (what the insight's fallback reason
    # records); anything else is named by its type, which keeps the status short.
    span.set_status(Status(StatusCode.ERROR, error.message if isinstance(error, Unavailable) else kind))


def seconds_since(moment: datetime | None, now: datetime | None = None) -> float:
    """Age of ``moment`` in seconds, 0 for None."""
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, ((now or datetime.now(UTC)) - moment).total_seconds())
