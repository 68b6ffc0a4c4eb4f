"""Rows to the records of history and back, by the SQL adapter's converter
(:mod:`lana_adapters.sql.converter`): interactions, and the append-only insights, audit
entries, outbox events and analytics events."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from lana_adapters.sql.converter import Values, reader, writer
from lana_core.domain.analytics import AnalyticsEvent
from lana_core.domain.api_keys import ApiKeyRef
from lana_core.domain.audit import AuditEntry
from lana_core.domain.events import DomainEvent
from lana_core.domain.insights import Insight
from lana_core.domain.interactions import Interaction


def _joined_key(values: Values) -> None:
    """The key an interaction was recorded with: its id, stored, and its name, joined
    from ``api_keys`` as ``api_key_name``."""
    key_id = values["api_key_id"]
    values["recorded_by_api_key"] = None if key_id is None else {"id": key_id, "name": values["api_key_name"]}


def _key_id(key: ApiKeyRef | None) -> UUID | None:
    return None if key is None else key.id


# An interaction keeps the key it was recorded with by its id; it is read with the key's name.
interaction_of = reader(Interaction, reshape=_joined_key)
interaction_values = writer(
    Interaction, recorded_by_api_key="api_key_id", written={"recorded_by_api_key": _key_id}
)
insight_of, insight_values = reader(Insight), writer(Insight)
audit_of, audit_values = reader(AuditEntry), writer(AuditEntry)
analytics_of, analytics_values = reader(AnalyticsEvent), writer(AnalyticsEvent)
# The outbox keeps the envelope's version apart from the aggregate's.
event_of = reader(DomainEvent, version="envelope_version")
_event_columns = writer(DomainEvent, version="envelope_version")
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
