"""The deterministic rules engine: the default insight model and every model's fallback.

The health score starts at :data:`BASE_SCORE` and adds the weight of each signal below,
then is clamped to 0..100. Every signal is recorded on the draft with its weight.

Signals, by name (input: weight):
- ``value_tier`` (customer value): HIGH +15 "High-value customer", MEDIUM none, LOW -5 "growth potential".
- ``overdue_projects`` (``project_stats.overdue``): -8 each, at most -24, "attention needed".
- ``delivery_record`` (``project_stats.done``): +4 each, at most +12, "delivery track record".
- ``projects_in_progress`` (``project_stats.in_progress``): +5 when any.
- ``task_completion`` (``task_stats``, only when there are tasks): rate above 80 % +10
  "excellent", below 50 % -10 "needs better project management", otherwise 0.
- ``status`` (customer status): ACTIVE +10, PROSPECT 0, INACTIVE -15.
- ``last_interaction`` (``days_since_last_interaction``): up to 14 days +10, up to 30 days +5,
  up to 90 days 0, older or never -10.
- ``engagement`` (``interactions_last_30_days``, only when the last interaction is at most
  30 days old): 4 or more +6 "strong engagement", 1 to 3 +3; none: no signal, so 0 is its floor.

Engagement is read from the customer's interactions alone (emails, calls, meetings, notes);
no other signal claims it, so an insight never reports engagement next to "No interaction
recorded yet", and Lana's own events about the customer never move the score.

Churn risk comes from the score alone: >= :data:`LOW_RISK_FROM` is LOW, >= :data:`MEDIUM_RISK_FROM`
is MEDIUM, below it HIGH.

Monotonicity, all other inputs held equal (each signal's weight is monotone and the clamp
keeps it so):
- more overdue projects never raise the score;
- more completed projects, or more projects in progress, never lower it;
- for a fixed number of tasks, more completed tasks (a higher completion rate) never lower it;
- more days since the last interaction never raise it; no interaction at all scores as the oldest;
- more interactions in the last 30 days never lower it;
- a higher value tier (LOW < MEDIUM < HIGH) never lowers it;
- a better status (INACTIVE < PROSPECT < ACTIVE) never lowers it;
- a higher score never raises the churn risk.
The draft depends on the context alone: the same context always gives the same draft.
"""

from __future__ import annotations

from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.insights import ChurnRisk, InsightContext, InsightDraft, Signal

__all__ = ["BASE_SCORE", "LOW_RISK_FROM", "MEDIUM_RISK_FROM", "RulesInsightModel", "assess", "churn_risk"]

BASE_SCORE = 50
LOW_RISK_FROM = 70
MEDIUM_RISK_FROM = 40

_VALUE_WEIGHTS = {CustomerValue.HIGH: 15, CustomerValue.MEDIUM: 0, CustomerValue.LOW: -5}
_STATUS_WEIGHTS = {CustomerStatus.ACTIVE: 10, CustomerStatus.PROSPECT: 0, CustomerStatus.INACTIVE: -15}
_OVERDUE_EACH, _OVERDUE_FLOOR = -8, -24
_DONE_EACH, _DONE_CAP = 4, 12
_IN_PROGRESS_WEIGHT = 5
_EXCELLENT_RATE, _POOR_RATE, _COMPLETION_WEIGHT = 0.8, 0.5, 10
# (days at most, weight), checked in order; older than the last bound, or never, is _SILENT.
_RECENCY = ((14, 10), (30, 5), (90, 0))
_SILENT_WEIGHT = -10
_ENGAGEMENT_DAYS, _ENGAGED_FROM, _ENGAGED_WEIGHT, _CONTACTED_WEIGHT = 30, 4, 6, 3
_STALE_CONTACT_DAYS = 30


class RulesInsightModel:
    """An :class:`~lana_core.ports.InsightModel` that never calls out and never fails."""

    __slots__ = ()

    name = "rules-v1"

    async def assess(self, context: InsightContext) -> InsightDraft:
        """Assess the customer by the rules in this module's docstring; raises nothing."""
        return assess(context)


def assess(context: InsightContext) -> InsightDraft:
    """The rules engine's draft for ``context`` (pure and deterministic)."""
    signals = signals_for(context)
    score = max(0, min(100, BASE_SCORE + sum(s.weight for s in signals)))
    risk = churn_risk(score)
    return InsightDraft(
        health_score=score,
        churn_risk=risk,
        summary=_summary(context, score, risk, signals),
        recommendations=_recommendations(context, risk),
        signals=signals,
        model=RulesInsightModel.name,
    )


def churn_risk(score: int) -> ChurnRisk:
    if score >= LOW_RISK_FROM:
        return ChurnRisk.LOW
    if score >= MEDIUM_RISK_FROM:
        return ChurnRisk.MEDIUM
    return ChurnRisk.HIGH


def signals_for(context: InsightContext) -> tuple[Signal, ...]:
    found = (
        _value_signal(context),
        _overdue_signal(context),
        _delivery_signal(context),
        _in_progress_signal(context),
        _completion_signal(context),
        _status_signal(context),
        _recency_signal(context),
        _engagement_signal(context),
    )
    return tuple(s for s in found if s is not None)


def _value_signal(context: InsightContext) -> Signal | None:
    value = context.customer.value
    if value is CustomerValue.HIGH:
        return Signal("value_tier", "High-value customer", _VALUE_WEIGHTS[value])
    if value is CustomerValue.LOW:
        return Signal("value_tier", "Low value tier with growth potential", _VALUE_WEIGHTS[value])
    return None


def _overdue_signal(context: InsightContext) -> Signal | None:
    overdue = context.project_stats.overdue
    if overdue <= 0:
        return None
    weight = max(_OVERDUE_FLOOR, _OVERDUE_EACH * overdue)
    return Signal("overdue_projects", f"{_projects(overdue)} overdue: attention needed", weight)


def _delivery_signal(context: InsightContext) -> Signal | None:
    done = context.project_stats.done
    if done <= 0:
        return None
    detail = f"{_projects(done)} completed: a solid delivery track record"
    return Signal("delivery_record", detail, min(_DONE_CAP, _DONE_EACH * done))


def _in_progress_signal(context: InsightContext) -> Signal | None:
    running = context.project_stats.in_progress
    if running <= 0:
        return None
    return Signal("projects_in_progress", f"{_projects(running)} in progress", _IN_PROGRESS_WEIGHT)


def _completion_signal(context: InsightContext) -> Signal | None:
    tasks = context.task_stats
    if tasks.total <= 0:
        return None
    rate = tasks.completion_rate
    if rate > _EXCELLENT_RATE:
        return Signal("task_completion", f"Task completion at {rate:.0%} is excellent", _COMPLETION_WEIGHT)
    if rate < _POOR_RATE:
        detail = f"Task completion at {rate:.0%} needs better project management"
        return Signal("task_completion", detail, -_COMPLETION_WEIGHT)
    return Signal("task_completion", f"Task completion at {rate:.0%} is on track", 0)


def _status_signal(context: InsightContext) -> Signal:
    status = context.customer.status
    detail = {
        CustomerStatus.ACTIVE: "Active customer",
        CustomerStatus.PROSPECT: "Prospect not yet converted",
        CustomerStatus.INACTIVE: "Inactive customer: the relationship has lapsed",
    }[status]
    return Signal("status", detail, _STATUS_WEIGHTS[status])


def _recency_signal(context: InsightContext) -> Signal:
    days = context.days_since_last_interaction
    if days is None:
        return Signal("last_interaction", "No interaction recorded yet", _SILENT_WEIGHT)
    for bound, weight in _RECENCY:
        if days <= bound:
            return Signal("last_interaction", f"Last interaction {_days(days)} ago", weight)
    return Signal(
        "last_interaction", f"Last interaction {_days(days)} ago: contact has gone quiet", _SILENT_WEIGHT
    )


def _engagement_signal(context: InsightContext) -> Signal | None:
    recent, days = context.interactions_last_30_days, context.days_since_last_interaction
    # Read with the recency it must agree with: no engagement without a contact in the window.
    if recent <= 0 or context.interaction_count <= 0 or days is None or days > _ENGAGEMENT_DAYS:
        return None
    noun = "interaction" if recent == 1 else "interactions"
    if recent >= _ENGAGED_FROM:
        detail = f"{recent} {noun} in the last 30 days: strong engagement"
        return Signal("engagement", detail, _ENGAGED_WEIGHT)
    return Signal("engagement", f"{recent} {noun} in the last 30 days", _CONTACTED_WEIGHT)


def _summary(context: InsightContext, score: int, risk: ChurnRisk, signals: tuple[Signal, ...]) -> str:
    customer = context.customer
    who = f"{customer.name} ({customer.company})" if customer.company else customer.name
    sentences = [
        f"{who} is a {customer.value.value}-value {customer.status.value} customer "
        f"with a health score of {score}/100 and {risk.value} churn risk."
    ]
    best = max(signals, key=lambda s: s.weight)
    worst = min(signals, key=lambda s: s.weight)
    if best.weight > 0:
        sentences.append(f"Strength: {best.detail}.")
    if worst.weight < 0:
        sentences.append(f"Concern: {worst.detail}.")
    if len(sentences) == 1:
        sentences.append("No strong signal either way yet; more activity will sharpen this assessment.")
    return " ".join(sentences)


def _recommendations(context: InsightContext, risk: ChurnRisk) -> tuple[str, ...]:
    customer, stats = context.customer, context.project_stats
    found: list[str] = []
    if stats.overdue > 0:
        found.append(
            f"Review the {_projects(stats.overdue)} overdue with the customer and agree new due dates."
        )
    if context.task_stats.total > 0 and context.task_stats.completion_rate < _POOR_RATE:
        found.append("Break open work into smaller tasks and review progress weekly.")
    days = context.days_since_last_interaction
    if days is None:
        found.append("Reach out and record a first interaction.")
    elif days > _STALE_CONTACT_DAYS:
        found.append(f"Schedule a check-in: the last contact was {_days(days)} ago.")
    if customer.status is CustomerStatus.PROSPECT:
        found.append("Follow up with a proposal to convert this prospect.")
    elif customer.status is CustomerStatus.INACTIVE:
        found.append("Plan a win-back conversation to re-activate the account.")
    if customer.value is CustomerValue.LOW:
        found.append("Look for upsell opportunities to grow the account.")
    elif customer.value is CustomerValue.HIGH and risk is not ChurnRisk.LOW:
        found.append("Involve the account owner: a high-value customer is at risk.")
    return tuple(found) or ("Keep the current cadence of contact and delivery.",)


def _projects(count: int) -> str:
    return f"{count} project" if count == 1 else f"{count} projects"


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"
