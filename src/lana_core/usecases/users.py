"""A tenant's users once they exist: read one, reactivate one, and set a password without
the current one (an admin for another user; the operator to recover an account)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from attrs import frozen

from lana_core.domain import events
from lana_core.domain.policy import Action, Resource
from lana_core.domain.tenancy import Actor, Operator, Tenant, User, check_password_strength
from lana_core.domain.validation import has_control_characters
from lana_core.errors import Conflict, NotFound
from lana_core.ports import Cache, PasswordHasher, UnitOfWork
from lana_core.usecases._base import ChangeUnit, Kernel, UseCase, authorize_in
from lana_core.usecases._revocation import revoke_sessions_of
from lana_core.usecases.tenants import _ChangesUsers, _hash, _user_change

__all__ = [
    "FindUserHandler",
    "GetUserHandler",
    "ReactivateUserHandler",
    "RecoverAccount",
    "RecoverAccountHandler",
    "ResetPassword",
    "ResetPasswordHandler",
]


@frozen(kw_only=True)
class ResetPassword:
    user_id: UUID
    new_password: str


@frozen(kw_only=True)
class RecoverAccount:
    """The user to recover, named as at sign-in: the tenant's slug and the user's email."""

    tenant_slug: str
    email: str
    new_password: str


class GetUserHandler(UseCase):
    """One user of the actor's tenant (admins and managers). Raises PermissionDenied, NotFound."""

    __slots__ = ()

    async def __call__(self, actor: Actor, user_id: UUID) -> User:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await authorize_in(uow, actor, Action.READ, Resource.USER)
            return await _user(uow, user_id)


class FindUserHandler(UseCase):
    """The user of the actor's tenant with ``email``, in any case (admins and managers).

    Raises PermissionDenied, NotFound.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, email: str) -> User:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await authorize_in(uow, actor, Action.READ, Resource.USER)
            return await _user_by_email(uow, email)


class ReactivateUserHandler(_ChangesUsers):
    """Let a deactivated user sign in again (admins only). Its old sessions stay ended: it
    signs in anew. Raises PermissionDenied, NotFound, Conflict (already active)."""

    __slots__ = ()

    async def __call__(self, actor: Actor, user_id: UUID) -> User:
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            uow = unit.uow
            await authorize_in(uow, actor, Action.UPDATE, Resource.USER)
            before = await _user(uow, user_id)
            if before.active:
                raise Conflict(f"user {user_id} is already active")
            after = before.reactivate(now)
            await uow.users.update(after)
            await unit.record(actor, now, _user_change(events.USER_UPDATED, after, before))
            await unit.commit()
        await self._changed(actor.tenant_id)
        return after


class _ChangesPasswords(_ChangesUsers):
    __slots__ = ("_hasher",)

    def __init__(self, kernel: Kernel, hasher: PasswordHasher, sessions_cache: Cache | None = None) -> None:
        super().__init__(kernel, sessions_cache)
        self._hasher = hasher


class ResetPasswordHandler(_ChangesPasswords):
    """Set another user's password without its current one (admins only; one's own password
    is changed with the current one), and end every session of that user, so whoever held
    the old password is out at once.

    Raises PermissionDenied, NotFound, Conflict (oneself), ValidationError (weak password).
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: ResetPassword) -> User:
        check_password_strength(command.new_password, "new_password")
        async with self._kernel.uow(actor.tenant_id) as uow:
            # Checked before the slow hash, so a refused caller costs nothing.
            await authorize_in(uow, actor, Action.UPDATE, Resource.USER)
            await _another_user(uow, actor, command.user_id)
        password_hash = await _hash(self._hasher, command.new_password)
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            uow = unit.uow
            await authorize_in(uow, actor, Action.UPDATE, Resource.USER)
            before = await _another_user(uow, actor, command.user_id)
            after = await _set_password(unit, actor, before, password_hash=password_hash, now=now)
            await unit.commit()
        await self._changed(actor.tenant_id)
        return after


class RecoverAccountHandler(_ChangesPasswords):
    """Set a user's password as the operator (see :class:`Operator`), and end every session
    of the user: the way back in when no admin can sign in.

    No role is checked: only drivers the operator runs against the store (the command line)
    offer it. The change is audited and published like any password change, with no actor.
    An inactive user stays inactive. Raises NotFound (unknown tenant or email),
    ValidationError (weak password).
    """

    __slots__ = ()

    async def __call__(self, command: RecoverAccount) -> User:
        check_password_strength(command.new_password, "new_password")
        tenant = await self._tenant(command.tenant_slug)
        async with self._kernel.uow(tenant.id) as uow:
            found = await _user_by_email(uow, command.email)
        password_hash = await _hash(self._hasher, command.new_password)
        now = self._now()
        async with self._kernel.change(tenant.id) as unit:
            uow = unit.uow
            before = await _user(uow, found.id)
            operator = Operator(tenant.id)
            after = await _set_password(unit, operator, before, password_hash=password_hash, now=now)
            await unit.commit()
        await self._changed(tenant.id)
        return after

    async def _tenant(self, slug: str) -> Tenant:
        clean = (slug or "").strip().lower()
        tenant = None
        if not has_control_characters(clean):  # no tenant is named so; a database may refuse to look
            async with self._kernel.uow(self._id()) as uow:  # tenants are read by slug before scoping
                tenant = await uow.tenants.get_by_slug(clean)
        if tenant is None:
            raise NotFound("tenant", repr(clean))
        return tenant


async def _set_password(
    unit: ChangeUnit,
    author: Actor | Operator,
    before: User,
    *,
    password_hash: str,
    now: datetime,
) -> User:
    after = before.with_password_hash(password_hash, now)
    await unit.uow.users.update(after)  # StaleVersion if the user changed meanwhile
    await revoke_sessions_of(unit.uow, before.id, now)
    await unit.record(author, now, _user_change(events.USER_PASSWORD_CHANGED, after, before))
    return after


async def _another_user(uow: UnitOfWork, actor: Actor, user_id: UUID) -> User:
    user = await _user(uow, user_id)
    if user_id == actor.user_id:
        raise Conflict("you cannot reset your own password: change it with the current one")
    return user


async def _user(uow: UnitOfWork, user_id: UUID) -> User:
    user = await uow.users.get(user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


async def _user_by_email(uow: UnitOfWork, email: str) -> User:
    clean = (email or "").strip().lower()
    user = None if has_control_characters(clean) else await uow.users.get_by_email(clean)
    if user is None:
        raise NotFound("user", repr(clean))
    return user
