"""Keeping product and system analytics events apart: the names an ingested event may not take."""

from __future__ import annotations

from lana_core.domain.analytics import AnalyticsEvent, EventKind
from lana_core.errors import FieldError, ValidationError


def refuse_system_name(event: AnalyticsEvent, prefix: str) -> None:
    """Raise ValidationError when an event to ingest is named like a system event: a product
    event named ``customer.created`` would be counted as Lana's own doing."""
    if event.kind is EventKind.SYSTEM:
        message = f"{event.name!r} is the name of a system event (a domain event type); name it otherwise"
        raise ValidationError([FieldError(f"{prefix}name", "reserved", message)])
