"""Interactions: the emails, calls, meetings and notes recorded on a customer."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from attrs import evolve, frozen

from lana_core.domain import validation
from lana_core.domain.api_keys import ApiKeyRef
from lana_core.domain.choices import Choice
from lana_core.domain.versions import check_version


class InteractionType(Choice, field="type"):
    EMAIL = "email"
    CALL = "call"
    MEETING = "meeting"
    NOTE = "note"


@frozen(kw_only=True)
class Interaction:
    """One contact with a customer. It may be corrected later (``edited_at`` says when it last
    was); ``version`` counts its states, for optimistic concurrency.

    ``author_id`` is the user it belongs to; when an integration recorded it with an API key,
    that is the key's creator and ``recorded_by_api_key`` names the key itself."""

    id: UUID
    tenant_id: UUID
    customer_id: UUID
    type: InteractionType
    subject: str | None
    content: str | None
    occurred_at: datetime
    author_id: UUID
    created_at: datetime
    version: int
    edited_at: datetime | None
    recorded_by_api_key: ApiKeyRef | None = None

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
        clean_subject, clean_content, when = _checked(subject, content, occurred_at or now)
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
            version=1,
            edited_at=None,
        )

    def check_version(self, expected: int | None) -> None:
        check_version("interaction", self, expected)

    def edit(
        self,
        *,
        type: InteractionType,
        subject: str | None,
        content: str | None,
        occurred_at: datetime | None,
        now: datetime,
    ) -> Interaction:
        """The interaction corrected, by the rules of :meth:`record`; ``occurred_at`` None keeps
        the recorded time. Raises ValidationError naming every bad field."""
        clean_subject, clean_content, when = _checked(subject, content, occurred_at or self.occurred_at)
        return evolve(
            self,
            type=InteractionType(type),
            subject=clean_subject,
            content=clean_content,
            occurred_at=when,
            version=self.version + 1,
            edited_at=now,
        )


def _checked(
    subject: str | None, content: str | None, when: datetime
) -> tuple[str | None, str | None, datetime]:
    errors = validation.Errors()
    clean_subject = validation.text(errors, "subject", subject, max_length=300)
    clean_content = validation.text(errors, "content", content, max_length=50_000, multiline=True)
    refused = errors.has("subject") or errors.has("content")
    if clean_subject is None and clean_content is None and not refused:
        errors.add("subject", "required", "an interaction needs a subject or content")
    if when.tzinfo is None:
        errors.add("occurred_at", "naive_datetime", "must carry a time zone")
    errors.raise_if_any()
    return clean_subject, clean_content, when
