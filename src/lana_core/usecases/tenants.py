"""Tenants and users: create a tenant with its first admin, manage users, sign in."""

from __future__ import annotations

import asyncio
from uuid import UUID

from attrs import frozen

from lana_core.domain import events
from lana_core.domain.pagination import Page, PageRequest
from lana_core.domain.policy import Action, Resource
from lana_core.domain.tenancy import (
    Actor,
    Role,
    Tenant,
    TenantSettings,
    User,
    check_password_strength,
    parse_role,
)
from lana_core.domain.validation import has_control_characters
from lana_core.errors import Conflict, NotFound, Unauthenticated
from lana_core.ports import Cache, PasswordHasher, UnitOfWork
from lana_core.usecases._base import Change, Kernel, UseCase, actor_tenant, authorize_in, changed
from lana_core.usecases._revocation import SESSIONS, revoke_sessions_of

__all__ = [
    "Authenticate",
    "AuthenticateHandler",
    "ChangePassword",
    "ChangePasswordHandler",
    "ChangeTenantSettings",
    "ChangeTenantSettingsHandler",
    "ChangeUserRoleHandler",
    "CreateTenant",
    "CreateTenantHandler",
    "CreateUser",
    "CreateUserHandler",
    "DeactivateUserHandler",
    "GetTenantHandler",
    "ListUsersHandler",
]


@frozen(kw_only=True)
class CreateTenant:
    slug: str
    name: str
    admin_email: str
    admin_name: str
    admin_password: str


@frozen(kw_only=True)
class CreateUser:
    email: str
    name: str
    role: Role
    password: str


@frozen(kw_only=True)
class Authenticate:
    tenant_slug: str
    email: str
    password: str


@frozen(kw_only=True)
class ChangeTenantSettings:
    """A full replacement of the settings; ``expected_version``, when given, must be the
    stored ``settings_version``."""

    settings: TenantSettings
    expected_version: int | None = None


# Password hashing is deliberately slow (tens of ms): off the event loop, so one sign-in
# does not stall every other request of the process.
async def _hash(hasher: PasswordHasher, password: str) -> str:
    return await asyncio.to_thread(hasher.hash, password)


async def _verify(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(hasher.verify, password_hash, password)


class _WithHasher(UseCase):
    __slots__ = ("_hasher",)

    def __init__(self, kernel: Kernel, hasher: PasswordHasher) -> None:
        super().__init__(kernel)
        self._hasher = hasher

    async def _hash(self, password: str) -> str:
        return await _hash(self._hasher, password)

    async def _verify(self, password_hash: str, password: str) -> bool:
        return await _verify(self._hasher, password_hash, password)


class CreateTenantHandler(_WithHasher):
    """Create a tenant and its first admin in one transaction; returns the admin's actor.

    Raises ValidationError (bad slug, email or weak password), Conflict (slug taken).
    """

    __slots__ = ()

    async def __call__(self, command: CreateTenant) -> tuple[Tenant, Actor]:
        now = self._now()
        tenant = Tenant.create(id=self._id(), slug=command.slug, name=command.name, now=now)
        check_password_strength(command.admin_password)
        admin = User.create(
            id=self._id(),
            tenant_id=tenant.id,
            email=command.admin_email,
            name=command.admin_name,
            role=Role.ADMIN,
            password_hash=await self._hash(command.admin_password),
            now=now,
        )
        actor = Actor(tenant.id, admin.id, Role.ADMIN)
        async with self._kernel.change(tenant.id) as unit:
            uow = unit.uow
            if await uow.tenants.get_by_slug(tenant.slug) is not None:
                raise Conflict(f"tenant slug {tenant.slug!r} is taken")
            await uow.tenants.add(tenant)
            await uow.users.add(admin)
            await unit.record(
                actor,
                now,
                _tenant_change(tenant, events.TENANT_CREATED, None),
                _user_change(events.USER_CREATED, admin, None),
            )
            await unit.commit()
        return tenant, actor


class GetTenantHandler(UseCase):
    """The actor's own tenant. Raises NotFound."""

    __slots__ = ()

    async def __call__(self, actor: Actor) -> Tenant:
        async with self._kernel.uow(actor.tenant_id) as uow:
            return await actor_tenant(uow, actor)


class ChangeTenantSettingsHandler(UseCase):
    """Replace the tenant's settings (admins only); each change moves ``settings_version`` on.

    Rules: optimistic concurrency on ``expected_version``, so of two admins editing the
    settings they read, the second is told instead of overwriting the first.
    Raises PermissionDenied, ValidationError (negative limits), StaleVersion.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: ChangeTenantSettings) -> Tenant:
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            uow = unit.uow
            await authorize_in(uow, actor, Action.UPDATE, Resource.SETTINGS)
            tenant = await actor_tenant(uow, actor)
            tenant.check_settings_version(command.expected_version)
            changed = tenant.with_settings(command.settings)
            await uow.tenants.update(changed)
            await unit.record(actor, now, _tenant_change(changed, events.TENANT_SETTINGS_CHANGED, tenant))
            await unit.commit()
        return changed


class CreateUserHandler(_WithHasher):
    """Add a user to the actor's tenant (admins only).

    Raises PermissionDenied, ValidationError (email, weak password), Conflict (email taken).
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: CreateUser) -> User:
        check_password_strength(command.password)
        async with self._kernel.uow(actor.tenant_id) as uow:
            # Checked before the slow hash, so a refused caller costs nothing.
            await authorize_in(uow, actor, Action.CREATE, Resource.USER)
        password_hash = await self._hash(command.password)
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            uow = unit.uow
            await authorize_in(uow, actor, Action.CREATE, Resource.USER)
            user = User.create(
                id=self._id(),
                tenant_id=actor.tenant_id,
                email=command.email,
                name=command.name,
                role=command.role,
                password_hash=password_hash,
                now=now,
            )
            await uow.users.add(user)
            await unit.record(actor, now, _user_change(events.USER_CREATED, user, None))
            await unit.commit()
        return user


class _ChangesUsers(UseCase):
    """A use case that changes users: each change ends or changes what their sessions act
    as, so the cached answers are dropped once it committed."""

    __slots__ = ("_sessions_cache",)

    def __init__(self, kernel: Kernel, sessions_cache: Cache | None = None) -> None:
        super().__init__(kernel)
        self._sessions_cache = sessions_cache or kernel.cache

    async def _changed(self, tenant_id: UUID) -> None:
        await self._sessions_cache.invalidate(tenant_id, (SESSIONS,))


class DeactivateUserHandler(_ChangesUsers):
    """Deactivate a user so it can no longer sign in, and end its sessions (admins only; not
    oneself). Raises PermissionDenied, NotFound, Conflict (already inactive, or oneself).
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, user_id: UUID) -> User:
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            uow = unit.uow
            await authorize_in(uow, actor, Action.UPDATE, Resource.USER)
            before = await _other_user(uow, actor, user_id, "deactivate")
            if not before.active:
                raise Conflict(f"user {user_id} is already inactive")
            after = before.deactivate(now)
            await uow.users.update(after)
            await revoke_sessions_of(uow, user_id, now)
            await unit.record(actor, now, _user_change(events.USER_UPDATED, after, before))
            await unit.commit()
        await self._changed(actor.tenant_id)
        return after


class ChangeUserRoleHandler(_ChangesUsers):
    """Give another user of the tenant a new role (admins only; not oneself, so a tenant
    always keeps the admin who does it); it applies from the user's next request.

    Raises PermissionDenied, NotFound, Conflict (oneself), ValidationError (unknown role).
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, user_id: UUID, role: Role | str) -> User:
        new_role = parse_role(role)
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            uow = unit.uow
            await authorize_in(uow, actor, Action.UPDATE, Resource.USER)
            before = await _other_user(uow, actor, user_id, "change the role of")
            if before.role is new_role:
                return before
            after = before.with_role(new_role, now)
            await uow.users.update(after)
            await unit.record(actor, now, _user_change(events.USER_UPDATED, after, before))
            await unit.commit()
        await self._changed(actor.tenant_id)
        return after


@frozen(kw_only=True)
class ChangePassword:
    current_password: str
    new_password: str


class ChangePasswordHandler(_ChangesUsers):
    """Change the actor's own password, given the current one; every other session of the
    actor ends (the one the change came through, if any, stays).

    Raises Unauthenticated (wrong current password), ValidationError (weak new password).
    """

    __slots__ = ("_hasher",)

    def __init__(self, kernel: Kernel, hasher: PasswordHasher, sessions_cache: Cache | None = None) -> None:
        super().__init__(kernel, sessions_cache)
        self._hasher = hasher

    async def __call__(self, actor: Actor, command: ChangePassword) -> None:
        check_password_strength(command.new_password, "new_password")
        async with self._kernel.uow(actor.tenant_id) as uow:
            user = await uow.users.get(actor.user_id)
        if user is None or not await _verify(self._hasher, user.password_hash, command.current_password):
            raise Unauthenticated("the current password is wrong")
        password_hash = await _hash(self._hasher, command.new_password)
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            uow = unit.uow
            after = user.with_password_hash(password_hash, now)
            await uow.users.update(after)  # StaleVersion if the user changed meanwhile
            await revoke_sessions_of(uow, user.id, now, keep=actor.session_id)
            await unit.record(actor, now, _user_change(events.USER_PASSWORD_CHANGED, after, user))
            await unit.commit()
        await self._changed(actor.tenant_id)


async def _other_user(uow: UnitOfWork, actor: Actor, user_id: UUID, doing: str) -> User:
    user = await uow.users.get(user_id)
    if user is None:
        raise NotFound("user", user_id)
    if user_id == actor.user_id:
        raise Conflict(f"you cannot {doing} yourself")
    return user


class ListUsersHandler(UseCase):
    """The tenant's users by email (admins and managers). Raises PermissionDenied."""

    __slots__ = ()

    async def __call__(self, actor: Actor, page: PageRequest) -> Page[User]:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await authorize_in(uow, actor, Action.READ, Resource.USER)
            return await uow.users.list(page)


class AuthenticateHandler(_WithHasher):
    """Check a password and return the actor it signs in as.

    Unknown tenant, unknown user, inactive user and wrong password all raise the same
    Unauthenticated, after the same hashing work, so a caller learns nothing from either;
    a tenant or email with a control character names no account, so it is unknown too.
    """

    __slots__ = ("_decoy_hash",)

    def __init__(self, kernel: Kernel, hasher: PasswordHasher) -> None:
        super().__init__(kernel, hasher)
        self._decoy_hash = hasher.hash("decoy password that matches nothing")

    async def __call__(self, command: Authenticate) -> Actor:
        user = await self._find_user(command.tenant_slug, command.email)
        password_hash = user.password_hash if user is not None else self._decoy_hash
        matches = await self._verify(password_hash, command.password)
        if user is None or not user.active or not matches:
            raise Unauthenticated("unknown account or wrong password")
        return Actor(user.tenant_id, user.id, user.role)

    async def _find_user(self, slug: str, email: str) -> User | None:
        slug, email = (slug or "").strip().lower(), (email or "").strip().lower()
        if has_control_characters(slug) or has_control_characters(email):
            return None  # no tenant or user is named so; a database may refuse to even look
        lookup = self._kernel.uow
        probe = self._id()  # a tenant-less lookup: tenants are read by slug before scoping
        async with lookup(probe) as uow:
            tenant = await uow.tenants.get_by_slug(slug)
        if tenant is None:
            return None
        async with lookup(tenant.id) as uow:
            return await uow.users.get_by_email(email)


def _tenant_change(tenant: Tenant, event_type: str, before: Tenant | None) -> Change:
    # A tenant is versioned by its settings: they are what changes it.
    return changed(event_type, "tenant", tenant, before, None, version=tenant.settings_version)


def _user_change(event_type: str, user: User, before: User | None) -> Change:
    return changed(event_type, "user", user, before, None)
