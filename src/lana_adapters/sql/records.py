"""Rows to the records of history and back, by the SQL adapter's converter
(:mod:`lana_adapters.sql.converter`): interactions, and the append-only insights, audit
entries, outbox events and analytics events."""

from __future__ import annotations

from typing import Any

from lana_adapters.sql.converter import Values, reader, writer
from lana_core.domain.analytics import AnalyticsEvent
from lana_core.domain.audit import AuditEntry
from lana_core.domain.events import DomainEvent
from lana_core.domain.insights import Insight
from lana_core.domain.interactions import Interaction

interaction_of, interaction_values = reader(Interaction), writer(Interaction)
insight_of, insight_values = reader(Insight), writer(Insight)
audit_of, audit_values = reader(AuditEntry), writer(AuditEntry)
analytics_of, analytics_values = reader(AnalyticsEvent), writer(AnalyticsEvent)
# The outbox keeps the envelope's version apart from the aggregate's.
_ENVELOPE = {"version": "envelope_version"}
event_of, _event_columns = reader(DomainEvent, **_ENVELOPE), writer(DomainEvent, **_ENVELOPE)
# A new event's delivery state: waiting for the relay's first attempt.
_PENDING: dict[str, Any] = {
    "state": "pending",
    "attempts": 0,
    "last_error": None,
    "leased_until": None,
    "published_at": None,
}


def event_values(event: DomainEvent) -> Values:
    """The event's columns, pending delivery."""
    return {**_event_columns(event), **_PENDING}
