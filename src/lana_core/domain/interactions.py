"""Interactions: the emails, calls, meetings and notes recorded on a customer."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from attrs import frozen

from lana_core.domain import validation
from lana_core.domain.choices import Choice


class InteractionType(Choice, field="type"):
    EMAIL = "email"
    CALL = "call"
    MEETING = "meeting"
    NOTE = "note"


@frozen(kw_only=True)
class Interaction:
    """One contact with a customer; immutable once recorded."""

    id: UUID
    tenant_id: UUID
    customer_id: UUID
    type: InteractionType
    subject: str | None
    content: str | None
    occurred_at: datetime
    author_id: UUID
    created_at: datetime

    @classmethod
    def record(
        cls,
        *,
        id: UUID,
        tenant_id: UUID,
        customer_id: UUID,
        type: InteractionType,
        subject: str | None,
        content: str | None,
        occurred_at: datetime | None,
        author_id: UUID,
        now: datetime,
    ) -> Interaction:
        errors = validation.Errors()
        clean_subject = validation.text(errors, "subject", subject, max_length=300)
        clean_content = validation.text(errors, "content", content, max_length=50_000, multiline=True)
        refused = errors.has("subject") or errors.has("content")
        if clean_subject is None and clean_content is None and not refused:
            errors.add("subject", "required", "an interaction needs a subject or content")
        when = occurred_at or now
        if when.tzinfo is None:
            errors.add("occurred_at", "naive_datetime", "must carry a time zone")
        errors.raise_if_any()
        return cls(
            id=id,
            tenant_id=tenant_id,
            customer_id=customer_id,
            type=InteractionType(type),
            subject=clean_subject,
            content=clean_content,
            occurred_at=when,
            author_id=author_id,
            created_at=now,
        )
