"""The rules engine: bounded, deterministic, monotone, and faithful to the original's rules."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import attrs
from hypothesis import given
from hypothesis import strategies as st

from lana_core.domain.customers import ContactDetails, Customer, CustomerStatus, CustomerValue
from lana_core.domain.insights import ChurnRisk, InsightContext, InsightDraft
from lana_core.domain.projects import ProjectStats, TaskStats
from lana_core.rules_engine import RulesInsightModel, assess, churn_risk

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
VALUES = (CustomerValue.LOW, CustomerValue.MEDIUM, CustomerValue.HIGH)
STATUSES = (CustomerStatus.INACTIVE, CustomerStatus.PROSPECT, CustomerStatus.ACTIVE)


def customer(
    value: CustomerValue = CustomerValue.MEDIUM,
    status: CustomerStatus = CustomerStatus.ACTIVE,
    company: str | None = "Acme",
) -> Customer:
    details = ContactDetails.parse(
        name="Ada Lovelace", email=None, phone=None, company=company, notes=None, tags=(), attributes={}
    )
    return Customer.create(
        id=UUID(int=1),
        tenant_id=UUID(int=2),
        details=details,
        value=value,
        status=status,
        owner_id=None,
        now=NOW,
    )


def context(
    *,
    value: CustomerValue = CustomerValue.MEDIUM,
    status: CustomerStatus = CustomerStatus.ACTIVE,
    done: int = 0,
    in_progress: int = 0,
    overdue: int = 0,
    tasks: int = 0,
    completed: int = 0,
    interactions: int = 0,
    days: int | None = None,
    recent: int = 0,
) -> InsightContext:
    return InsightContext(
        customer=customer(value, status),
        project_stats=ProjectStats(
            total=done + in_progress + overdue, done=done, in_progress=in_progress, overdue=overdue
        ),
        task_stats=TaskStats(total=tasks, completed=completed),
        recent_projects=(),
        interaction_count=interactions,
        days_since_last_interaction=days,
        interactions_last_30_days=recent,
        now=NOW,
    )


@st.composite
def contexts(draw: st.DrawFn) -> InsightContext:
    tasks = draw(st.integers(0, 200))
    return context(
        value=draw(st.sampled_from(VALUES)),
        status=draw(st.sampled_from(STATUSES)),
        done=draw(st.integers(0, 50)),
        in_progress=draw(st.integers(0, 50)),
        overdue=draw(st.integers(0, 50)),
        tasks=tasks,
        completed=draw(st.integers(0, tasks)),
        interactions=draw(st.integers(0, 500)),
        days=draw(st.none() | st.integers(0, 2_000)),
        recent=draw(st.integers(0, 100)),
    )


def score(ctx: InsightContext) -> int:
    return assess(ctx).health_score


def details(ctx: InsightContext) -> str:
    return " | ".join(signal.detail for signal in assess(ctx).signals)


@given(contexts())
def test_every_draft_is_valid_and_scored_from_0_to_100(ctx: InsightContext) -> None:
    draft = assess(ctx).validate()
    assert 0 <= draft.health_score <= 100
    assert draft.churn_risk is churn_risk(draft.health_score)
    assert draft.model == "rules-v1"
    assert len(draft.recommendations) >= 1
    assert 2 <= draft.summary.count(". ") + 1 <= 3


@given(contexts())
def test_the_same_context_always_gives_the_same_draft(ctx: InsightContext) -> None:
    assert assess(ctx) == assess(attrs.evolve(ctx))


@given(contexts(), st.integers(1, 10))
def test_more_overdue_projects_never_raise_the_score(ctx: InsightContext, more: int) -> None:
    stats = ctx.project_stats
    worse = attrs.evolve(ctx, project_stats=attrs.evolve(stats, overdue=stats.overdue + more))
    assert score(worse) <= score(ctx)


@given(contexts(), st.integers(1, 10), st.integers(0, 10))
def test_more_completed_or_running_projects_never_lower_the_score(
    ctx: InsightContext, more_done: int, more_running: int
) -> None:
    stats = ctx.project_stats
    better = attrs.evolve(
        ctx,
        project_stats=attrs.evolve(
            stats, done=stats.done + more_done, in_progress=stats.in_progress + more_running
        ),
    )
    assert score(better) >= score(ctx)


@given(contexts(), st.data())
def test_a_higher_completion_rate_never_lowers_the_score(ctx: InsightContext, data: st.DataObject) -> None:
    tasks = ctx.task_stats
    completed = data.draw(st.integers(tasks.completed, tasks.total))
    better = attrs.evolve(ctx, task_stats=TaskStats(total=tasks.total, completed=completed))
    assert score(better) >= score(ctx)


@given(contexts(), st.integers(1, 400))
def test_a_longer_silence_never_raises_the_score(ctx: InsightContext, more_days: int) -> None:
    days = ctx.days_since_last_interaction
    quieter = attrs.evolve(ctx, days_since_last_interaction=None if days is None else days + more_days)
    never = attrs.evolve(ctx, days_since_last_interaction=None)
    assert score(never) <= score(quieter) <= score(ctx)


@given(contexts(), st.integers(1, 100))
def test_more_recent_interactions_never_lower_the_score(ctx: InsightContext, more: int) -> None:
    busier = attrs.evolve(ctx, interactions_last_30_days=ctx.interactions_last_30_days + more)
    assert score(busier) >= score(ctx)


def claims_engagement(draft: InsightDraft) -> bool:
    said = [draft.summary, *draft.recommendations, *(f"{s.name} {s.detail}" for s in draft.signals)]
    return any("engag" in text.lower() for text in said)


def reports_no_interaction(draft: InsightDraft) -> bool:
    return any(
        s.name == "last_interaction" and s.detail == "No interaction recorded yet" for s in draft.signals
    )


def engagement_weight(draft: InsightDraft) -> int:
    return sum(s.weight for s in draft.signals if s.name == "engagement")


@given(contexts())
def test_no_insight_claims_engagement_next_to_no_interaction(ctx: InsightContext) -> None:
    draft = assess(ctx)
    assert not (claims_engagement(draft) and reports_no_interaction(draft))
    if claims_engagement(draft):
        assert ctx.days_since_last_interaction is not None
        assert ctx.days_since_last_interaction <= 30


@given(contexts(), st.integers(0, 100))
def test_without_interactions_engagement_stays_at_its_floor(ctx: InsightContext, claimed: int) -> None:
    # Whatever else the context says (even a recent count it should not hold), no interaction
    # recorded means no engagement.
    silent = attrs.evolve(
        ctx, interaction_count=0, days_since_last_interaction=None, interactions_last_30_days=claimed
    )
    draft = assess(silent)
    assert engagement_weight(draft) == 0
    assert not claims_engagement(draft)
    assert reports_no_interaction(draft)


@given(contexts())
def test_a_better_value_tier_or_status_never_lowers_the_score(ctx: InsightContext) -> None:
    by_value = [score(attrs.evolve(ctx, customer=attrs.evolve(ctx.customer, value=v))) for v in VALUES]
    by_status = [score(attrs.evolve(ctx, customer=attrs.evolve(ctx.customer, status=s))) for s in STATUSES]
    assert by_value == sorted(by_value)
    assert by_status == sorted(by_status)


@given(st.integers(0, 100), st.integers(0, 100))
def test_a_higher_score_never_raises_the_churn_risk(low: int, high: int) -> None:
    order = [ChurnRisk.LOW, ChurnRisk.MEDIUM, ChurnRisk.HIGH]
    low, high = min(low, high), max(low, high)
    assert order.index(churn_risk(high)) <= order.index(churn_risk(low))


def test_a_high_value_customer_reads_as_high_value_not_as_engagement() -> None:
    assert "High-value customer" in details(context(value=CustomerValue.HIGH))
    assert "engagement" not in details(context(value=CustomerValue.HIGH))


def test_recent_interactions_read_as_engagement() -> None:
    assert "4 interactions in the last 30 days: strong engagement" in details(
        context(interactions=9, days=2, recent=4)
    )
    assert "1 interaction in the last 30 days" in details(context(interactions=9, days=20, recent=1))
    assert "engagement" not in details(context(interactions=9, days=45, recent=0))


def test_a_low_value_customer_reads_as_growth_potential() -> None:
    assert "growth potential" in details(context(value=CustomerValue.LOW))


def test_overdue_projects_call_for_attention() -> None:
    draft = assess(context(overdue=2))
    assert "2 projects overdue: attention needed" in details(context(overdue=2))
    assert any("overdue" in r for r in draft.recommendations)
    assert "attention needed" not in details(context(overdue=0))


def test_completed_and_running_projects_show_a_track_record_and_work_in_progress() -> None:
    found = details(context(done=3, in_progress=1))
    assert "delivery track record" in found
    assert "1 project in progress" in found
    assert "engagement" not in found


def test_task_completion_above_80_percent_is_excellent_and_below_50_needs_management() -> None:
    assert "excellent" in details(context(tasks=10, completed=9))
    assert "excellent" not in details(context(tasks=10, completed=8))
    assert "needs better project management" in details(context(tasks=10, completed=4))
    assert "needs better project management" not in details(context(tasks=10, completed=5))
    assert "task" not in details(context(tasks=0, completed=0)).lower()


def test_a_healthy_active_customer_scores_high_with_low_risk() -> None:
    draft = assess(
        context(
            value=CustomerValue.HIGH,
            done=3,
            in_progress=1,
            tasks=10,
            completed=10,
            interactions=8,
            days=3,
            recent=5,
        )
    )
    assert draft.health_score == 100
    assert draft.churn_risk is ChurnRisk.LOW
    assert draft.summary.startswith("Ada Lovelace (Acme) is a high-value active customer")


def test_a_neglected_inactive_customer_scores_low_with_high_risk() -> None:
    draft = assess(
        context(value=CustomerValue.LOW, status=CustomerStatus.INACTIVE, overdue=3, tasks=10, completed=1)
    )
    assert draft.health_score == 0
    assert draft.churn_risk is ChurnRisk.HIGH
    assert "Concern:" in draft.summary


def test_signal_weights_explain_the_score() -> None:
    draft = assess(context(overdue=1, done=1, interactions=3, days=20, recent=2))
    assert draft.health_score == 50 + sum(signal.weight for signal in draft.signals)


async def test_the_model_port_answers_with_the_rules_engine() -> None:
    ctx = context(value=CustomerValue.HIGH)
    assert await RulesInsightModel().assess(ctx) == assess(ctx)
    assert RulesInsightModel.name == "rules-v1"
