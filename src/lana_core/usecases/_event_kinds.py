"""Keeping product and system analytics events apart: the kind a read asks for, and the
names an ingested event may not take."""

from __future__ import annotations

from lana_core.domain.analytics import AnalyticsEvent, EventKind
from lana_core.errors import FieldError, ValidationError


def parse_kind(value: str) -> EventKind:
    try:
        return EventKind(value)
    except ValueError:
        choices = ", ".join(k.value for k in EventKind)
        raise ValidationError.single("kind", "invalid_choice", f"must be one of {choices}") from None


def refuse_system_name(event: AnalyticsEvent, prefix: str) -> None:
    """Raise ValidationError when an event to ingest is named like a system event: a product
    event named ``customer.created`` would be counted as Lana's own doing."""
    if event.kind is EventKind.SYSTEM:
        message = f"{event.name!r} is the name of a system event (a domain event type); name it otherwise"
        raise ValidationError([FieldError(f"{prefix}name", "reserved", message)])
