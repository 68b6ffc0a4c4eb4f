"""Interaction, timeline and insight bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from msgspec import UNSET, UnsetType

from lana_core.domain.api_keys import ApiKeyRef
from lana_core.domain.insights import ChurnRisk, Insight, InsightSource
from lana_core.domain.interactions import Interaction, InteractionType
from lana_core.domain.pagination import Page
from lana_core.usecases.insights import BatchItem
from lana_core.usecases.timeline import TimelineEntry, TimelineKind
from lana_http.schemas.base import Body, Out, total_of
from lana_http.schemas.fields import NOT_BLANK, Content, Subject


class InteractionCreate(Body):
    """``occurred_at`` (with a time zone) defaults to now; a subject or content is required."""

    schema_rules: ClassVar[dict[str, Any]] = {
        "anyOf": [
            {"required": [field], "properties": {field: {"type": "string", "pattern": NOT_BLANK}}}
            for field in ("subject", "content")
        ]
    }

    type: InteractionType
    subject: Subject | None = None
    content: Content | None = None
    occurred_at: datetime | None = None


class InteractionPatch(Body):
    """Only the fields sent change; ``null`` clears the subject or the content (one of them
    must remain)."""

    type: InteractionType | UnsetType = UNSET
    subject: Subject | UnsetType | None = UNSET
    content: Content | UnsetType | None = UNSET
    occurred_at: datetime | UnsetType = UNSET


class ApiKeyRefOut(Out):
    """The API key a record was written with: its id and name."""

    id: UUID
    name: str

    @classmethod
    def of(cls, key: ApiKeyRef | None) -> ApiKeyRefOut | None:
        return None if key is None else cls(id=key.id, name=key.name)


class InteractionOut(Out):
    """``author_id`` is the user the interaction belongs to; when an integration recorded it
    with an API key, that is the key's creator and ``recorded_by_api_key`` names the key."""

    id: UUID
    customer_id: UUID
    type: InteractionType
    subject: str | None
    content: str | None
    occurred_at: datetime
    author_id: UUID
    version: int
    created_at: datetime
    edited_at: datetime | None
    recorded_by_api_key: ApiKeyRefOut | None

    @classmethod
    def of(cls, interaction: Interaction) -> InteractionOut:
        return cls(
            id=interaction.id,
            customer_id=interaction.customer_id,
            type=interaction.type,
            subject=interaction.subject,
            content=interaction.content,
            occurred_at=interaction.occurred_at,
            author_id=interaction.author_id,
            version=interaction.version,
            created_at=interaction.created_at,
            edited_at=interaction.edited_at,
            recorded_by_api_key=ApiKeyRefOut.of(interaction.recorded_by_api_key),
        )


class InteractionPage(Out):
    items: list[InteractionOut]
    next_cursor: str | None
    # Only when the list was asked to count (`?count=true`).
    total: int | UnsetType = UNSET

    @classmethod
    def of(cls, page: Page[Interaction]) -> InteractionPage:
        return cls(
            items=[InteractionOut.of(i) for i in page.items],
            next_cursor=page.next_cursor,
            total=total_of(page),
        )


class FieldChangeOut(Out):
    field: str
    old: Any
    new: Any


class TimelineEntryOut(Out):
    """``actor_id`` is who made the change (a user, or the API key that made it) or authored
    the contact (a user); ``api_key`` names the API key the change was made or the contact
    recorded with."""

    id: UUID
    occurred_at: datetime
    kind: TimelineKind
    action: str
    summary: str
    actor_id: UUID | None
    aggregate_type: str
    aggregate_id: UUID
    changes: list[FieldChangeOut]
    interaction: InteractionOut | None
    api_key: ApiKeyRefOut | None

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineEntryOut:
        return cls(
            id=entry.id,
            occurred_at=entry.occurred_at,
            kind=entry.kind,
            action=entry.action,
            summary=entry.summary,
            actor_id=entry.actor_id,
            aggregate_type=entry.aggregate_type,
            aggregate_id=entry.aggregate_id,
            changes=[FieldChangeOut(field=c.field, old=c.old, new=c.new) for c in entry.changes],
            interaction=None if entry.interaction is None else InteractionOut.of(entry.interaction),
            api_key=ApiKeyRefOut.of(entry.api_key),
        )


class Timeline(Out):
    items: list[TimelineEntryOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[TimelineEntry]) -> Timeline:
        return cls(items=[TimelineEntryOut.of(entry) for entry in page.items], next_cursor=page.next_cursor)


class SignalOut(Out):
    name: str
    detail: str
    weight: int


class InsightOut(Out):
    id: UUID
    customer_id: UUID
    health_score: int
    churn_risk: ChurnRisk
    summary: str
    recommendations: list[str]
    signals: list[SignalOut]
    model: str
    source: InsightSource
    fallback_reason: str | None
    latency_ms: float
    created_at: datetime

    @classmethod
    def of(cls, insight: Insight) -> InsightOut:
        return cls(
            id=insight.id,
            customer_id=insight.customer_id,
            health_score=insight.health_score,
            churn_risk=insight.churn_risk,
            summary=insight.summary,
            recommendations=list(insight.recommendations),
            signals=[SignalOut(name=s.name, detail=s.detail, weight=s.weight) for s in insight.signals],
            model=insight.model,
            source=insight.source,
            fallback_reason=insight.fallback_reason,
            latency_ms=insight.latency_ms,
            created_at=insight.created_at,
        )


class InsightPage(Out):
    items: list[InsightOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[Insight]) -> InsightPage:
        return cls(items=[InsightOut.of(i) for i in page.items], next_cursor=page.next_cursor)


class InsightRequest(Body):
    """``refresh`` asks for a new assessment even when a fresh one is stored."""

    refresh: bool = False


class BatchItemOut(Out):
    customer_id: UUID
    insight: InsightOut | None
    error: str | None

    @classmethod
    def of(cls, item: BatchItem) -> BatchItemOut:
        insight = None if item.insight is None else InsightOut.of(item.insight)
        return cls(customer_id=item.customer_id, insight=insight, error=item.error)


class BatchResult(Out):
    items: list[BatchItemOut]
