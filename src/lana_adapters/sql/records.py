"""Rows to domain objects and back for the records of history: interactions, and the
append-only insights, audit entries, outbox events and analytics events."""

from __future__ import annotations

from lana_adapters.sql.rows import Values
from lana_adapters.sql.tx import AnyRow
from lana_core.domain.analytics import AnalyticsEvent
from lana_core.domain.api_keys import ApiKeyRef
from lana_core.domain.audit import AuditEntry, FieldChange
from lana_core.domain.events import DomainEvent
from lana_core.domain.insights import ChurnRisk, Insight, InsightSource, Signal
from lana_core.domain.interactions import Interaction, InteractionType


def interaction_values(interaction: Interaction) -> Values:
    return {
        "tenant_id": interaction.tenant_id,
        "id": interaction.id,
        "customer_id": interaction.customer_id,
        "type": interaction.type.value,
        "subject": interaction.subject,
        "content": interaction.content,
        "occurred_at": interaction.occurred_at,
        "author_id": interaction.author_id,
        "created_at": interaction.created_at,
        "version": interaction.version,
        "edited_at": interaction.edited_at,
        "api_key_id": None if interaction.recorded_by_api_key is None else interaction.recorded_by_api_key.id,
    }


def interaction_of(row: AnyRow) -> Interaction:
    """The interaction of a row read with its key's name (``api_key_name``)."""
    return Interaction(
        id=row.id,
        tenant_id=row.tenant_id,
        customer_id=row.customer_id,
        type=InteractionType(row.type),
        subject=row.subject,
        content=row.content,
        occurred_at=row.occurred_at,
        author_id=row.author_id,
        created_at=row.created_at,
        version=row.version,
        edited_at=row.edited_at,
        recorded_by_api_key=None if row.api_key_id is None else ApiKeyRef(row.api_key_id, row.api_key_name),
    )


def insight_values(insight: Insight) -> Values:
    return {
        "tenant_id": insight.tenant_id,
        "id": insight.id,
        "customer_id": insight.customer_id,
        "health_score": insight.health_score,
        "churn_risk": insight.churn_risk.value,
        "summary": insight.summary,
        "recommendations": list(insight.recommendations),
        "signals": [{"name": s.name, "detail": s.detail, "weight": s.weight} for s in insight.signals],
        "model": insight.model,
        "source": insight.source.value,
        "fallback_reason": insight.fallback_reason,
        "latency_ms": insight.latency_ms,
        "prompt_tokens": insight.prompt_tokens,
        "completion_tokens": insight.completion_tokens,
        "created_at": insight.created_at,
    }


def insight_of(row: AnyRow) -> Insight:
    return Insight(
        id=row.id,
        tenant_id=row.tenant_id,
        customer_id=row.customer_id,
        health_score=row.health_score,
        churn_risk=ChurnRisk(row.churn_risk),
        summary=row.summary,
        recommendations=tuple(row.recommendations),
        signals=tuple(Signal(s["name"], s["detail"], s["weight"]) for s in row.signals),
        model=row.model,
        source=InsightSource(row.source),
        fallback_reason=row.fallback_reason,
        latency_ms=row.latency_ms,
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        created_at=row.created_at,
    )


def audit_values(entry: AuditEntry) -> Values:
    return {
        "tenant_id": entry.tenant_id,
        "id": entry.id,
        "actor_id": entry.actor_id,
        "aggregate_type": entry.aggregate_type,
        "aggregate_id": entry.aggregate_id,
        "customer_id": entry.customer_id,
        "action": entry.action,
        "changes": [{"field": c.field, "old": c.old, "new": c.new} for c in entry.changes],
        "occurred_at": entry.occurred_at,
    }


def audit_of(row: AnyRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        tenant_id=row.tenant_id,
        actor_id=row.actor_id,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        customer_id=row.customer_id,
        action=row.action,
        changes=tuple(FieldChange(c["field"], c["old"], c["new"]) for c in row.changes),
        occurred_at=row.occurred_at,
    )


def event_values(event: DomainEvent) -> Values:
    return {
        "tenant_id": event.tenant_id,
        "id": event.id,
        "type": event.type,
        "aggregate_type": event.aggregate_type,
        "aggregate_id": event.aggregate_id,
        "aggregate_version": event.aggregate_version,
        "occurred_at": event.occurred_at,
        "actor_id": event.actor_id,
        "payload": dict(event.payload),
        "envelope_version": event.version,
        "trace_context": dict(event.trace_context),
        "state": "pending",
        "attempts": 0,
        "last_error": None,
        "leased_until": None,
        "published_at": None,
    }


def event_of(row: AnyRow) -> DomainEvent:
    return DomainEvent(
        id=row.id,
        type=row.type,
        tenant_id=row.tenant_id,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        aggregate_version=row.aggregate_version,
        occurred_at=row.occurred_at,
        actor_id=row.actor_id,
        payload=row.payload,
        version=row.envelope_version,
        trace_context=row.trace_context,
    )


def analytics_values(event: AnalyticsEvent) -> Values:
    return {
        "tenant_id": event.tenant_id,
        "id": event.id,
        "occurred_at": event.occurred_at,
        "name": event.name,
        "user_id": event.user_id,
        "session_id": event.session_id,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "properties": dict(event.properties),
        "received_at": event.received_at,
    }


def analytics_of(row: AnyRow) -> AnalyticsEvent:
    return AnalyticsEvent(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        user_id=row.user_id,
        session_id=row.session_id,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        properties=row.properties,
        occurred_at=row.occurred_at,
        received_at=row.received_at,
    )
