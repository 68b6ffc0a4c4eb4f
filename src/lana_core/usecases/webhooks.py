"""Webhook subscriptions: admins create, change, pause, rotate and delete them, read their
delivery log and ask for deliveries again.

Every change is audited and published (``webhook.subscription.*``); the signing secret is
never in either (only a fingerprint, so a rotation shows in the record), and is handed out
only by :class:`CreateWebhookHandler` and :class:`RotateWebhookSecretHandler`. The delivery
worker pauses a failing subscription as the :class:`~lana_core.domain.tenancy.Operator`
through :class:`PauseWebhookHandler`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from attrs import frozen

from lana_core.domain import events
from lana_core.domain.edits import UNSET, patched
from lana_core.domain.pagination import Page, PageRequest
from lana_core.domain.policy import Action, Resource
from lana_core.domain.tenancy import Actor, Operator
from lana_core.domain.webhooks import (
    Delivery,
    DeliveryAttempt,
    OperatorRoute,
    Subscription,
    SubscriptionSpec,
)
from lana_core.errors import NotFound, PermissionDenied, StaleVersion, ValidationError
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import Kernel, UseCase, authorize_in
from lana_core.usecases._recording import Change, changed, deletion

__all__ = [
    "ChangeWebhook",
    "CreateWebhook",
    "CreateWebhookHandler",
    "DeleteWebhookHandler",
    "GetWebhookHandler",
    "ListWebhookAttemptsHandler",
    "ListWebhookDeliveriesHandler",
    "ListWebhooksHandler",
    "PauseWebhookHandler",
    "RedeliverWebhookHandler",
    "RedeliverWebhookRangeHandler",
    "RotateWebhookSecretHandler",
    "SyncOperatorWebhooksHandler",
    "UpdateWebhookHandler",
]

_KIND = "webhook subscription"
_AGGREGATE = "webhook_subscription"
PAUSED_BY_ADMIN = "paused by an admin"


@frozen(kw_only=True)
class CreateWebhook:
    """A subscription of ``url`` to events matching ``event_types`` (topic patterns such as
    ``customer.*``) whose body meets every one of ``filters``; ``format`` ``lana`` (default)
    or ``seed``."""

    url: str
    event_types: Sequence[str]
    filters: Sequence[str] = ()
    format: str | None = None


@frozen(kw_only=True)
class ChangeWebhook:
    """A partial edit: fields left ``UNSET`` keep their value; ``active`` False pauses the
    subscription, True resumes it. ``expected_version``, when given, must match the stored one."""

    subscription_id: UUID
    expected_version: int | None = None
    url: str = UNSET
    event_types: Sequence[str] = UNSET
    filters: Sequence[str] = UNSET
    format: str = UNSET
    active: bool = UNSET


class _ChangesWebhooks(UseCase):
    """Shared by the handlers that change a subscription: check, apply, store, record, commit."""

    __slots__ = ("_allow_private",)

    def __init__(self, kernel: Kernel, *, allow_private_urls: bool = False) -> None:
        super().__init__(kernel)
        self._allow_private = allow_private_urls

    def _spec(self, *, url: object, event_types: object, filters: object, format: object) -> SubscriptionSpec:
        return SubscriptionSpec.check(
            url=url,
            event_types=event_types,
            filters=filters,
            format=format,
            allow_private=self._allow_private,
        )

    async def _change(
        self,
        actor: Actor | Operator,
        subscription_id: UUID,
        edit: Callable[[Subscription, datetime], Subscription],
        *,
        expected_version: int | None = None,
    ) -> Subscription:
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            before = await _load_for(unit.uow, actor, Action.UPDATE, subscription_id)
            if expected_version is not None and before.version != expected_version:
                raise StaleVersion(
                    f"{_KIND} {subscription_id} is at version {before.version}, not {expected_version}"
                )
            after = edit(before, now)
            if after is before:
                return before
            await unit.uow.webhooks.update(after)
            await unit.record(actor, now, _change(_event_of(before, after), after, before))
            await unit.commit()
        return after


class CreateWebhookHandler(_ChangesWebhooks):
    """Create an active subscription with a fresh signing secret (admins only); the returned
    subscription's ``secret`` is the only time it is handed out.

    Raises PermissionDenied, ValidationError (URL not http(s) or pointing at a private
    address, bad patterns or filters, the seed format for events it cannot carry)."""

    __slots__ = ()

    async def __call__(self, actor: Actor, command: CreateWebhook) -> Subscription:
        spec = self._spec(
            url=command.url, event_types=command.event_types, filters=command.filters, format=command.format
        )
        now = self._now()
        subscription = Subscription.create(
            id=self._id(), tenant_id=actor.tenant_id, spec=spec, created_by=actor.user_id, now=now
        )
        async with self._kernel.change(actor.tenant_id) as unit:
            await authorize_in(unit.uow, actor, Action.CREATE, Resource.WEBHOOK)
            await unit.uow.webhooks.add(subscription)
            await unit.record(actor, now, _change(events.WEBHOOK_SUBSCRIPTION_CREATED, subscription, None))
            await unit.commit()
        return subscription


class UpdateWebhookHandler(_ChangesWebhooks):
    """Change what a subscription receives and where, or pause (``active`` False) or resume it.

    Raises PermissionDenied, NotFound, StaleVersion, ValidationError."""

    __slots__ = ()

    async def __call__(self, actor: Actor, command: ChangeWebhook) -> Subscription:
        def edit(current: Subscription, now: datetime) -> Subscription:
            spec = self._spec(
                url=patched(command, current, "url"),
                event_types=patched(command, current, "event_types"),
                filters=current.filter_texts if command.filters is UNSET else command.filters,
                format=patched(command, current, "format"),
            )
            active = patched(command, current, "active")
            if not isinstance(active, bool):
                raise ValidationError.single("active", "type", "must be true or false")
            return current.revised(spec, active=active, pause_reason=PAUSED_BY_ADMIN, now=now)

        return await self._change(
            actor, command.subscription_id, edit, expected_version=command.expected_version
        )


class RotateWebhookSecretHandler(_ChangesWebhooks):
    """Give a subscription a new signing secret (returned in the subscription: shown once);
    the old one stops signing at once. Raises PermissionDenied, NotFound."""

    __slots__ = ()

    async def __call__(self, actor: Actor, subscription_id: UUID) -> Subscription:
        return await self._change(actor, subscription_id, lambda current, now: current.rotated(now))


class PauseWebhookHandler(_ChangesWebhooks):
    """Pause a subscription, saying why: an admin, or the operator (the delivery worker
    pausing one that keeps failing). A paused one is left as it is.

    Raises PermissionDenied (an actor but an admin), NotFound, ValidationError (blank reason)."""

    __slots__ = ()

    async def __call__(self, actor: Actor | Operator, subscription_id: UUID, reason: str) -> Subscription:
        def edit(current: Subscription, now: datetime) -> Subscription:
            return current if not current.active else current.paused(reason, now)

        return await self._change(actor, subscription_id, edit)


class SyncOperatorWebhooksHandler(UseCase):
    """Make a tenant's operator subscriptions what the operator's routes say, in their order:
    each route one subscription (made, changed, or resumed), and those of routes no longer
    configured deleted; audited and published as the operator. Returns how many changed."""

    __slots__ = ()

    async def __call__(self, tenant_id: UUID, routes: Sequence[OperatorRoute]) -> int:
        now = self._now()
        operator = Operator(tenant_id)
        changed = 0
        async with self._kernel.change(tenant_id) as unit:
            webhooks = unit.uow.webhooks
            kept = {s.id: s for s in await webhooks.list_all() if s.by_operator}
            for rank, route in enumerate(_first_per_pattern(routes)):
                wanted = Subscription.for_operator(route, rank=rank, tenant_id=tenant_id, now=now)
                before = kept.pop(wanted.id, None)
                if before is None:
                    await webhooks.add(wanted)
                    await unit.record(
                        operator, now, _change(events.WEBHOOK_SUBSCRIPTION_CREATED, wanted, None)
                    )
                elif (after := before.following(route, rank, now)) is not before:
                    await webhooks.update(after)
                    await unit.record(
                        operator, now, _change(events.WEBHOOK_SUBSCRIPTION_UPDATED, after, before)
                    )
                else:
                    continue
                changed += 1
            for gone in kept.values():
                await webhooks.delete(gone)
                facts = _audited(gone)
                await unit.record(
                    operator,
                    now,
                    deletion(events.WEBHOOK_SUBSCRIPTION_DELETED, _AGGREGATE, gone, None, facts=facts),
                )
                changed += 1
            if changed:
                await unit.commit()
        return changed


def _first_per_pattern(routes: Sequence[OperatorRoute]) -> list[OperatorRoute]:
    """A later route of the same pattern is never matched (the first one wins): dropped."""
    firsts: dict[str, OperatorRoute] = {}
    for route in routes:
        firsts.setdefault(route.pattern, route)
    return list(firsts.values())


class DeleteWebhookHandler(UseCase):
    """Delete a subscription with its deliveries and their log (admins only).

    Raises PermissionDenied, NotFound."""

    __slots__ = ()

    async def __call__(self, actor: Actor, subscription_id: UUID) -> None:
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            before = await _load_for(unit.uow, actor, Action.DELETE, subscription_id)
            await unit.uow.webhooks.delete(before)
            gone = deletion(
                events.WEBHOOK_SUBSCRIPTION_DELETED, _AGGREGATE, before, None, facts=_audited(before)
            )
            await unit.record(actor, now, gone)
            await unit.commit()


class GetWebhookHandler(UseCase):
    """One subscription (admins only). Raises PermissionDenied, NotFound."""

    __slots__ = ()

    async def __call__(self, actor: Actor, subscription_id: UUID) -> Subscription:
        async with self._kernel.uow(actor.tenant_id) as uow:
            return await _load_for(uow, actor, Action.READ, subscription_id)


class ListWebhooksHandler(UseCase):
    """The tenant's subscriptions, newest first, page by page (admins only).

    Raises PermissionDenied, ValidationError (a cursor this API did not issue)."""

    __slots__ = ()

    async def __call__(self, actor: Actor, page: PageRequest) -> Page[Subscription]:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await authorize_in(uow, actor, Action.READ, Resource.WEBHOOK)
            return await uow.webhooks.list(page)


class ListWebhookDeliveriesHandler(UseCase):
    """A subscription's deliveries, last enqueued first (admins only).

    Raises PermissionDenied, NotFound, ValidationError."""

    __slots__ = ()

    async def __call__(self, actor: Actor, subscription_id: UUID, page: PageRequest) -> Page[Delivery]:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await _load_for(uow, actor, Action.READ, subscription_id)
            return await uow.webhooks.deliveries(subscription_id, page)


class ListWebhookAttemptsHandler(UseCase):
    """A subscription's delivery log (every attempt: time, HTTP status, latency, number,
    response excerpt, error), newest first; of one delivery with ``delivery_id``.

    Raises PermissionDenied, NotFound (the subscription, or a delivery not of it), ValidationError."""

    __slots__ = ()

    async def __call__(
        self, actor: Actor, subscription_id: UUID, page: PageRequest, *, delivery_id: UUID | None = None
    ) -> Page[DeliveryAttempt]:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await _load_for(uow, actor, Action.READ, subscription_id)
            if delivery_id is not None:
                await _delivery_of(uow, subscription_id, delivery_id)
            return await uow.webhooks.attempts(subscription_id, page, delivery_id=delivery_id)


class RedeliverWebhookHandler(UseCase):
    """Send one delivery again, whatever became of it, with a fresh retry window (an admin,
    or the operator for the subscriptions of its routes).

    Raises PermissionDenied, NotFound (the subscription, or a delivery not of it)."""

    __slots__ = ()

    async def __call__(self, actor: Actor | Operator, subscription_id: UUID, delivery_id: UUID) -> Delivery:
        now = self._now()
        async with self._kernel.uow(actor.tenant_id) as uow:
            await _load_for(uow, actor, Action.UPDATE, subscription_id)
            delivery = await _delivery_of(uow, subscription_id, delivery_id)
            await uow.webhooks.redeliver(subscription_id, now, delivery_id=delivery_id)
            await uow.commit()
        return delivery.redelivered(now)


class RedeliverWebhookRangeHandler(UseCase):
    """Send again every delivery of a subscription whose event occurred in ``[since, until)``;
    returns how many. Raises PermissionDenied, NotFound, ValidationError (a bound without a
    time zone, or ``since`` not before ``until``)."""

    __slots__ = ()

    async def __call__(
        self, actor: Actor | Operator, subscription_id: UUID, since: datetime, until: datetime
    ) -> int:
        _check_range(since, until)
        now = self._now()
        async with self._kernel.uow(actor.tenant_id) as uow:
            await _load_for(uow, actor, Action.UPDATE, subscription_id)
            count = await uow.webhooks.redeliver(subscription_id, now, since=since, until=until)
            await uow.commit()
        return count


def _check_range(since: datetime, until: datetime) -> None:
    for name, bound in (("from", since), ("to", until)):
        if not isinstance(bound, datetime) or bound.tzinfo is None:
            raise ValidationError.single(name, "naive_datetime", "must be a time with a time zone")
    if since >= until:
        raise ValidationError.single("to", "before_from", "must be after 'from'")


async def _load_for(
    uow: UnitOfWork, actor: Actor | Operator, action: Action, subscription_id: UUID
) -> Subscription:
    """The subscription, once the policy allows ``action`` (the operator may do anything)."""
    if isinstance(actor, Actor):
        await authorize_in(uow, actor, action, Resource.WEBHOOK)
    found = await uow.webhooks.get(subscription_id)
    if found is None:
        raise NotFound(_KIND, subscription_id)
    if found.by_operator and isinstance(actor, Actor) and action is not Action.READ:
        raise PermissionDenied(
            f"{_KIND} {subscription_id} is the operator's (LANA_WEBHOOK_ROUTES): it cannot be changed here"
        )
    return found


async def _delivery_of(uow: UnitOfWork, subscription_id: UUID, delivery_id: UUID) -> Delivery:
    delivery = await uow.webhooks.get_delivery(delivery_id)
    if delivery is None or delivery.subscription_id != subscription_id:
        raise NotFound("webhook delivery", delivery_id)
    return delivery


def _event_of(before: Subscription, after: Subscription) -> str:
    if before.active and not after.active:
        return events.WEBHOOK_SUBSCRIPTION_PAUSED
    return events.WEBHOOK_SUBSCRIPTION_UPDATED


def _change(event_type: str, after: Subscription, before: Subscription | None) -> Change:
    return changed(event_type, _AGGREGATE, after, before, None, audited=_audited)


def _audited(subscription: Subscription) -> dict[str, Any]:
    """What the record of changes keeps: never the secret, only a fingerprint of it."""
    return {
        "url": subscription.url,
        "event_types": list(subscription.event_types),
        "filters": list(subscription.filter_texts),
        "format": subscription.format.value,
        "active": subscription.active,
        "paused_reason": subscription.paused_reason,
        "secret_fingerprint": hashlib.sha256(subscription.secret.encode()).hexdigest()[:12],
        "created_by": None if subscription.created_by is None else str(subscription.created_by),
    }
