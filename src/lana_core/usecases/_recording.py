"""How a change is recorded: the audited snapshot of an entity, and the domain event, audit
entry and analytics event each change writes."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

import attrs
from attrs import frozen

from lana_core.domain.analytics import AnalyticsEvent
from lana_core.domain.audit import AuditEntry, FieldChange, diff
from lana_core.domain.events import DomainEvent
from lana_core.domain.tenancy import Actor, Operator
from lana_core.ports import IdFactory

_PLAIN = (type(None), bool, int, float, str)


def json_safe(value: Any) -> Any:
    """A JSON-safe copy of a domain value: ids, times and enums become strings."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if kind is UUID:
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (tuple, list, frozenset, set)):
        return [json_safe(v) for v in value]
    if attrs.has(kind):
        return snapshot(value)
    raise TypeError(f"cannot make {kind.__name__} JSON-safe")


_SKIPPED = frozenset({"tenant_id", "version", "created_at", "updated_at", "edited_at", "password_hash"})


_AUDITED_FIELDS: dict[type, tuple[str, ...]] = {}


def _audited_fields(kind: type) -> tuple[str, ...]:
    names = _AUDITED_FIELDS.get(kind)
    if names is None:
        names = tuple(field.name for field in attrs.fields(kind) if field.name not in _SKIPPED)
        _AUDITED_FIELDS[kind] = names
    return names


def snapshot(entity: Any) -> dict[str, Any]:
    """The audited fields of an entity as JSON-safe values (bookkeeping fields left out)."""
    return {name: json_safe(getattr(entity, name)) for name in _audited_fields(type(entity))}


@frozen(kw_only=True)
class Change:
    """One recorded change: the facts needed for its event, audit entry and analytics row."""

    event_type: str
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int
    customer_id: UUID | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any]
    payload: Mapping[str, Any] | None = None


def changed(
    event_type: str,
    aggregate_type: str,
    after: Any,
    before: Any | None,
    customer_id: UUID | None,
    *,
    audited: Callable[[Any], Mapping[str, Any]] = snapshot,
    version: int | None = None,
    payload: Mapping[str, Any] | None = None,
) -> Change:
    """What changing an entity from ``before`` (None when it is created) to ``after``
    records: the ``audited`` facts of each (by default its :func:`snapshot`), at ``after``'s
    version unless another ``version`` is named; the event carries ``payload`` when given,
    else the facts after."""
    return Change(
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=after.id,
        aggregate_version=after.version if version is None else version,
        customer_id=customer_id,
        before=None if before is None else audited(before),
        after=audited(after),
        payload=payload,
    )


def deletion(
    event_type: str,
    aggregate_type: str,
    entity: Any,
    customer_id: UUID | None,
    *,
    facts: Mapping[str, Any] | None = None,
) -> Change:
    """What deleting ``entity`` records: its audit entry takes every field from its value to
    None; its event carries the entity as it was (``facts``, or its :func:`snapshot`), at the
    version after its last."""
    before = snapshot(entity) if facts is None else dict(facts)
    return Change(
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=entity.id,
        aggregate_version=entity.version + 1,
        customer_id=customer_id,
        before=before,
        after=dict.fromkeys(before),
        payload=before,
    )


def written(
    ids: IdFactory, actor: Actor | Operator, now: datetime, changes: Sequence[Change]
) -> tuple[list[DomainEvent], list[AuditEntry], list[AnalyticsEvent]]:
    """Each change's domain event, audit entry and analytics event; they name the actor's
    author (an API key's id when one acts); an operator's, none."""
    events, entries, analytics = [], [], []
    author, tenant_id = actor.author_id, actor.tenant_id
    # Consecutive changes of one state (a customer's two creation events) share one diff.
    last: tuple[Mapping[str, Any] | None, Mapping[str, Any] | None, tuple[FieldChange, ...]]
    last = (None, None, ())
    for change in changes:
        if change.before is not last[0] or change.after is not last[1]:
            last = (change.before, change.after, diff(change.before or {}, change.after))
        event = DomainEvent(
            id=ids.new_id(),
            type=change.event_type,
            tenant_id=tenant_id,
            aggregate_type=change.aggregate_type,
            aggregate_id=change.aggregate_id,
            aggregate_version=change.aggregate_version,
            occurred_at=now,
            actor_id=author,
            payload=change.after if change.payload is None else change.payload,
        )
        events.append(event)
        entries.append(
            AuditEntry(
                id=event.id,
                tenant_id=tenant_id,
                actor_id=author,
                aggregate_type=change.aggregate_type,
                aggregate_id=change.aggregate_id,
                customer_id=change.customer_id,
                action=change.event_type,
                changes=last[2],
                occurred_at=now,
            )
        )
        analytics.append(analytics_of(event))
    return events, entries, analytics


def analytics_of(event: DomainEvent) -> AnalyticsEvent:
    """Domain events count as analytics too: the name is the event type, the subject its aggregate."""
    return AnalyticsEvent(
        id=event.id,
        tenant_id=event.tenant_id,
        name=event.type,
        user_id=None if event.actor_id is None else str(event.actor_id),
        session_id=None,
        subject_type=event.aggregate_type,
        subject_id=event.aggregate_id,
        properties={"aggregate_version": event.aggregate_version},
        occurred_at=event.occurred_at,
        received_at=event.occurred_at,
    )
