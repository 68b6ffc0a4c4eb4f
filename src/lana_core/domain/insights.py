"""AI insights: a scored, explained assessment of one customer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from attrs import frozen

from lana_core.domain import validation
from lana_core.domain.choices import Choice
from lana_core.domain.customers import Customer
from lana_core.domain.projects import Project, ProjectStats, TaskStats
from lana_core.errors import ValidationError

MAX_SUMMARY_LENGTH = 2_000
MAX_RECOMMENDATIONS = 10
MAX_RECOMMENDATION_LENGTH = 500
MAX_SIGNALS = 20


class ChurnRisk(Choice, field="churn_risk"):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class InsightSource(Choice, field="source"):
    LLM = "llm"
    RULES = "rules"


@frozen
class Signal:
    """One observation the assessment rests on, with its effect on the score."""

    name: str
    detail: str
    weight: int


@frozen(kw_only=True)
class InsightContext:
    """Everything an insight model may look at for one customer.

    Engagement is the customer's interactions (emails, calls, meetings and notes recorded on
    it) and nothing else: Lana's own events about the customer (created, status changed,
    insight generated) and product analytics are no sign of the customer engaging.
    ``interactions_last_30_days`` counts those that occurred in the 30 days before ``now``.
    """

    customer: Customer
    project_stats: ProjectStats
    task_stats: TaskStats
    recent_projects: Sequence[Project]
    interaction_count: int
    days_since_last_interaction: int | None
    interactions_last_30_days: int
    now: datetime


@frozen(kw_only=True)
class ModelUsage:
    prompt_tokens: int = 0
    completion_tokens: int = 0


@frozen(kw_only=True)
class InsightDraft:
    """What a model answers; checked by :meth:`validate` before it becomes an Insight."""

    health_score: int
    churn_risk: ChurnRisk
    summary: str
    recommendations: tuple[str, ...]
    signals: tuple[Signal, ...]
    model: str
    usage: ModelUsage = ModelUsage()

    def validate(self) -> InsightDraft:
        """Reject, never clamp, out-of-range output: a model's answer is untrusted input."""
        problems = []
        if (
            isinstance(self.health_score, bool)
            or not isinstance(self.health_score, int)
            or not 0 <= self.health_score <= 100
        ):
            problems.append("health_score must be an integer from 0 to 100")
        if not self.summary.strip() or len(self.summary) > MAX_SUMMARY_LENGTH:
            problems.append(f"summary must be 1 to {MAX_SUMMARY_LENGTH} characters")
        if len(self.recommendations) > MAX_RECOMMENDATIONS or any(
            not r.strip() or len(r) > MAX_RECOMMENDATION_LENGTH for r in self.recommendations
        ):
            problems.append(
                f"at most {MAX_RECOMMENDATIONS} recommendations"
                f" of 1 to {MAX_RECOMMENDATION_LENGTH} characters"
            )
        if len(self.signals) > MAX_SIGNALS:
            problems.append(f"at most {MAX_SIGNALS} signals")
        if self._has_control_characters():
            problems.append("text must not contain control characters other than tab and line breaks")
        if problems:
            raise ValidationError.single("insight", "invalid_model_output", "; ".join(problems))
        return self

    def _has_control_characters(self) -> bool:
        prose = (self.summary, *self.recommendations, *(s.detail for s in self.signals))
        labels = (self.model, *(s.name for s in self.signals))
        return any(validation.has_control_characters(text, multiline=True) for text in prose) or any(
            validation.has_control_characters(text) for text in labels
        )


@frozen(kw_only=True)
class Insight:
    """A stored assessment. ``fallback_reason`` says why the rules answered instead of a model."""

    id: UUID
    tenant_id: UUID
    customer_id: UUID
    health_score: int
    churn_risk: ChurnRisk
    summary: str
    recommendations: tuple[str, ...]
    signals: tuple[Signal, ...]
    model: str
    source: InsightSource
    fallback_reason: str | None
    latency_ms: float
    prompt_tokens: int
    completion_tokens: int
    created_at: datetime

    @classmethod
    def from_draft(
        cls,
        draft: InsightDraft,
        *,
        id: UUID,
        tenant_id: UUID,
        customer_id: UUID,
        source: InsightSource,
        fallback_reason: str | None,
        latency_ms: float,
        now: datetime,
    ) -> Insight:
        return cls(
            id=id,
            tenant_id=tenant_id,
            customer_id=customer_id,
            health_score=draft.health_score,
            churn_risk=draft.churn_risk,
            summary=draft.summary,
            recommendations=draft.recommendations,
            signals=draft.signals,
            model=draft.model,
            source=source,
            fallback_reason=fallback_reason,
            latency_ms=latency_ms,
            prompt_tokens=draft.usage.prompt_tokens,
            completion_tokens=draft.usage.completion_tokens,
            created_at=now,
        )
