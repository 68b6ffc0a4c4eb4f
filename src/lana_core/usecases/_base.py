"""What every use case shares: its ports, and how a change is recorded."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

import attrs
from attrs import frozen

from lana_core.domain.analytics import AnalyticsEvent
from lana_core.domain.audit import AuditEntry, diff
from lana_core.domain.events import DomainEvent
from lana_core.domain.policy import Action, Resource, authorize, depends_on_settings, settings_matter_for
from lana_core.domain.tenancy import Actor, Operator, TenantSettings
from lana_core.errors import NotFound
from lana_core.ports import ActivityCounters, Cache, Clock, IdFactory, UnitOfWork, UnitOfWorkFactory
from lana_core.usecases._activity import CountingUnitOfWorkFactory, NoActivityCounters


@frozen(kw_only=True)
class Kernel:
    """The ports every use case needs; built once by the composition root.

    With live ``counters``, ``uow`` counts the analytics events every unit commits into them.
    """

    uow: UnitOfWorkFactory
    clock: Clock
    ids: IdFactory
    cache: Cache
    counters: ActivityCounters = attrs.field(factory=NoActivityCounters)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.counters, NoActivityCounters):
            return
        uow = self.uow
        if isinstance(uow, CountingUnitOfWorkFactory):
            if uow.counters is self.counters:
                return  # another kernel's units already count into these counters
            uow = uow.inner
        # Frozen: set once here, so no unit of work of this kernel bypasses the counters.
        object.__setattr__(self, "uow", CountingUnitOfWorkFactory(uow, self.counters))


class UseCase:
    """Base of the use-case classes: holds the kernel, offers the shared steps."""

    __slots__ = ("_kernel",)

    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    def _now(self) -> datetime:
        return self._kernel.clock.now()

    def _id(self) -> UUID:
        return self._kernel.ids.new_id()


async def tenant_settings(uow: UnitOfWork, actor: Actor) -> TenantSettings:
    tenant = await uow.tenants.get(actor.tenant_id)
    if tenant is None:
        raise NotFound("tenant", actor.tenant_id)
    return tenant.settings


async def policy_settings(uow: UnitOfWork, actor: Actor) -> TenantSettings:
    """The settings the permission policy is to judge ``actor`` by: the tenant's, read only
    when they can change an answer (see ``settings_matter_for``), which spares most use
    cases of a manager or an admin a query."""
    if settings_matter_for(actor):
        return await tenant_settings(uow, actor)
    return _SETTINGS_UNUSED


async def authorize_read(kernel: Kernel, actor: Actor, resource: Resource) -> None:
    """Check the policy for a read of ``resource`` as a whole (no record, so no ownership);
    the tenant's settings are loaded only when the answer depends on them."""
    if depends_on_settings(actor, Action.READ, resource):
        async with kernel.uow(actor.tenant_id) as uow:
            await authorize_in(uow, actor, Action.READ, resource)
        return
    authorize(actor, Action.READ, resource, settings=_SETTINGS_UNUSED)


# Handed to the policy only when it will not look at them (depends_on_settings, settings_matter_for).
_SETTINGS_UNUSED = TenantSettings()


async def authorize_in(
    uow: UnitOfWork, actor: Actor, action: Action, resource: Resource, *, owned: bool = False
) -> TenantSettings:
    """Check the policy with the tenant's settings; returns them for further policy checks
    (see :func:`policy_settings`: they are a stand-in where no answer depends on them)."""
    settings = await policy_settings(uow, actor)
    authorize(actor, action, resource, owned=owned, settings=settings)
    return settings


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


def deletion(event_type: str, aggregate_type: str, entity: Any, customer_id: UUID | None) -> Change:
    """What deleting ``entity`` records: its audit entry takes every field from its value to
    None; its event carries the entity as it was, at the version after its last."""
    before = snapshot(entity)
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


async def record(
    uow: UnitOfWork, kernel: Kernel, actor: Actor | Operator, now: datetime, *changes: Change
) -> None:
    """Write each change's domain event (outbox), audit entry and analytics event in ``uow``;
    they name the actor's author (an API key's id when one acts); an operator's, none."""
    events, entries, analytics = [], [], []
    for change in changes:
        event = DomainEvent(
            id=kernel.ids.new_id(),
            type=change.event_type,
            tenant_id=actor.tenant_id,
            aggregate_type=change.aggregate_type,
            aggregate_id=change.aggregate_id,
            aggregate_version=change.aggregate_version,
            occurred_at=now,
            actor_id=actor.author_id,
            payload=change.after if change.payload is None else change.payload,
        )
        events.append(event)
        entries.append(
            AuditEntry(
                id=event.id,
                tenant_id=actor.tenant_id,
                actor_id=actor.author_id,
                aggregate_type=change.aggregate_type,
                aggregate_id=change.aggregate_id,
                customer_id=change.customer_id,
                action=change.event_type,
                changes=diff(change.before or {}, change.after),
                occurred_at=now,
            )
        )
        analytics.append(analytics_of(event))
    await uow.outbox.append(events)
    await uow.audit.append(entries)
    await uow.analytics.add_many(analytics)


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
