"""What every use case shares: its ports, the units changes are made in, the policy checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

import attrs
from attrs import frozen

from lana_core.domain.pagination import Page
from lana_core.domain.policy import Action, Resource, authorize, depends_on_settings, settings_matter_for
from lana_core.domain.tenancy import Actor, Tenant, TenantSettings
from lana_core.domain.validation import DIGITS_PHONE_FORMAT, PhoneFormat
from lana_core.errors import NotFound
from lana_core.ports import ActivityCounters, Cache, Clock, IdFactory, UnitOfWork, UnitOfWorkFactory
from lana_core.usecases._activity import NoActivityCounters
from lana_core.usecases._recording import Change, changed, deletion, snapshot
from lana_core.usecases._unit import AfterCommit, ChangeUnit, after_commit_handlers

__all__ = [
    "actor_tenant",
    "Change",
    "ChangeUnit",
    "Kernel",
    "UseCase",
    "authorize_in",
    "authorize_read",
    "counted_if",
    "changed",
    "deletion",
    "policy_settings",
    "snapshot",
    "tenant_settings",
]

T = TypeVar("T")


@frozen(kw_only=True)
class Kernel:
    """The ports every use case needs; built once by the composition root.

    ``uow`` opens plain units of work (reads); :meth:`change` opens the units changes are
    made in, whose commits reach the cache and the live ``counters`` (see :mod:`._unit`).
    """

    uow: UnitOfWorkFactory
    clock: Clock
    ids: IdFactory
    cache: Cache
    counters: ActivityCounters = attrs.field(factory=NoActivityCounters)
    # How phone numbers given to a create, an update or an import are checked and written.
    phones: PhoneFormat = DIGITS_PHONE_FORMAT
    _after_commit: tuple[AfterCommit, ...] = attrs.field(init=False)

    @_after_commit.default
    def _handlers(self) -> tuple[AfterCommit, ...]:
        return after_commit_handlers(self.cache, self.counters)

    def change(self, tenant_id: UUID) -> ChangeUnit:
        """A unit of work to change ``tenant_id``'s records in; see :class:`ChangeUnit`."""
        return ChangeUnit(self.uow(tenant_id), tenant_id, self.ids, self._after_commit)


class UseCase:
    """Base of the use-case classes: holds the kernel, offers the shared steps."""

    __slots__ = ("_kernel",)

    def __init__(self, kernel: Kernel) -> None:
        self._kernel = kernel

    def _now(self) -> datetime:
        return self._kernel.clock.now()

    def _id(self) -> UUID:
        return self._kernel.ids.new_id()


async def actor_tenant(uow: UnitOfWork, actor: Actor) -> Tenant:
    """The tenant ``actor`` acts in; NotFound when it is gone."""
    tenant = await uow.tenants.get(actor.tenant_id)
    if tenant is None:
        raise NotFound("tenant", actor.tenant_id)
    return tenant


async def tenant_settings(uow: UnitOfWork, actor: Actor) -> TenantSettings:
    return (await actor_tenant(uow, actor)).settings


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


async def counted_if(
    with_total: bool, page: Awaitable[Page[T]], count: Callable[[], Awaitable[int]]
) -> Page[T]:
    """The page, with its ``total`` counted when the caller asked for it (counting costs a
    query of its own)."""
    listed = await page
    return attrs.evolve(listed, total=await count()) if with_total else listed


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
