"""The steps every change to one stored record takes: load, authorise, check the version,
apply, store, record, commit (after which the kernel's after-commit handlers run)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from attrs import frozen

from lana_core.domain.policy import Action, Resource, authorize
from lana_core.domain.tenancy import Actor, TenantSettings
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import Kernel, authorize_in, policy_settings
from lana_core.usecases._recording import Change


class Versioned(Protocol):
    def check_version(self, expected: int | None) -> None:
        """Raise StaleVersion unless ``expected`` is None or the stored version."""
        ...


E = TypeVar("E", bound=Versioned)


def _nothing() -> None:
    return None


@frozen
class Found(Generic[E]):
    """A record to change, as loaded for ``actor``: whether the actor owns it (for the
    policy), and what must hold before it changes (``ensure_open``, raising Conflict), checked
    after the version or, with ``open_first``, before it."""

    record: E
    owned: bool
    ensure_open: Callable[[], None] = _nothing
    open_first: bool = False


Load = Callable[[UnitOfWork, TenantSettings], Awaitable[Found[E]]]
Apply = Callable[[UnitOfWork, E, datetime], Awaitable[E]]
Store = Callable[[UnitOfWork, E], Awaitable[None]]


@frozen(kw_only=True)
class Edit(Generic[E]):
    """What one change does to a loaded record: ``apply`` makes the new record (raising
    ValidationError or Conflict), ``store`` writes it, ``change(before, after)`` says what is
    recorded; ``action`` is what the policy judges."""

    apply: Apply[E]
    store: Store[E]
    change: Callable[[E, E], Change]
    action: Action = Action.UPDATE


def in_place(
    event_type: str,
    apply: Apply[E],
    *,
    store: Store[E],
    record: Callable[[str, E, E], Change],
    action: Action = Action.UPDATE,
) -> Edit[E]:
    """An edit whose new record ``store`` writes over the old, recorded as
    ``record(event_type, after, before)``."""
    return Edit(
        apply=apply,
        store=store,
        change=lambda before, after: record(event_type, after, before),
        action=action,
    )


def removal(store: Store[E], change: Callable[[E], Change]) -> Edit[E]:
    """An edit that ``store`` deletes the record by, judged as a DELETE by the policy and
    recorded as ``change(record)`` (see :func:`deletion`)."""
    return Edit(apply=_kept, store=store, change=lambda gone, _: change(gone), action=Action.DELETE)


async def _kept(uow: UnitOfWork, record: E, now: datetime) -> E:
    return record


def plainly(apply: Callable[[E, datetime], E]) -> Apply[E]:
    """An ``apply`` step that needs nothing from the unit of work."""

    async def step(uow: UnitOfWork, record: E, now: datetime) -> E:
        return apply(record, now)

    return step


P = TypeVar("P", bound=Versioned)
C = TypeVar("C")


async def create_one(
    kernel: Kernel,
    actor: Actor,
    resource: Resource,
    now: datetime,
    load: Load[P],
    *,
    make: Callable[[UnitOfWork, P], Awaitable[C]],
    store: Callable[[UnitOfWork, C], Awaitable[None]],
    change: Callable[[C], Change],
) -> C:
    """Create one record under the record ``load`` finds (its customer or project) and
    return it as stored.

    The policy judges a CREATE of ``resource`` as if the actor owned the parent
    (PermissionDenied), ``load`` raises NotFound when the actor may not read the parent;
    then the policy judges the actor's ownership of it, and the parent must be open
    (Conflict). ``make`` builds the record (ValidationError), ``store`` writes it, the
    ``change`` it makes is recorded and the unit commits.
    """
    async with kernel.change(actor.tenant_id) as unit:
        settings = await authorize_in(unit.uow, actor, Action.CREATE, resource, owned=True)
        found = await load(unit.uow, settings)
        authorize(actor, Action.CREATE, resource, owned=found.owned, settings=settings)
        found.ensure_open()
        created = await make(unit.uow, found.record)
        await store(unit.uow, created)
        await unit.record(actor, now, change(created))
        await unit.commit()
    return created


async def change_one(
    kernel: Kernel,
    actor: Actor,
    resource: Resource,
    load: Load[E],
    expected_version: int | None,
    *,
    edit: Edit[E],
) -> E:
    """Change one record and return it as stored.

    ``load`` raises NotFound when the actor may not read the record; then the policy judges
    ``edit.action`` on ``resource`` (PermissionDenied), the version is checked
    (StaleVersion), the edit is applied, stored and recorded, and the unit commits.
    """
    now = kernel.clock.now()
    async with kernel.change(actor.tenant_id) as unit:
        settings = await policy_settings(unit.uow, actor)
        found = await load(unit.uow, settings)
        before = found.record
        authorize(actor, edit.action, resource, owned=found.owned, settings=settings)
        if found.open_first:
            found.ensure_open()
        before.check_version(expected_version)
        if not found.open_first:
            found.ensure_open()
        after = await edit.apply(unit.uow, before, now)
        await edit.store(unit.uow, after)
        await unit.record(actor, now, edit.change(before, after))
        await unit.commit()
    return after
