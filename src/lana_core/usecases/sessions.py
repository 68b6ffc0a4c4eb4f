"""Sign-in sessions: start one with a password, renew it, end it, and resolve who a request
acting in one is now.

The stored session and user are the record. What a request acts as is read from them
(through ``cache``, which every change to either invalidates after commit): a revoked
session, a deactivated user or a changed role take effect on the next request.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from attrs import frozen

from lana_core.domain.sessions import Session, SessionView
from lana_core.domain.tenancy import Actor, Role, User
from lana_core.errors import Conflict, Unauthenticated
from lana_core.ports import Cache, CacheKey, UnitOfWork
from lana_core.usecases._base import Kernel, UseCase
from lana_core.usecases._revocation import SESSIONS, revoke_sessions
from lana_core.usecases.tenants import Authenticate, AuthenticateHandler

__all__ = [
    "SESSIONS",
    "EndSessionHandler",
    "RenewSession",
    "RenewSessionHandler",
    "ResolveSessionHandler",
    "SignIn",
    "SignInHandler",
    "SignedIn",
]

# An entry outlives a missed invalidation (a cache that was down when a change committed)
# by at most this long.
SESSION_CACHE_SECONDS = 60.0


@frozen(kw_only=True)
class SignIn:
    """Sign in with a password for a session of ``lifetime`` (renewed by each refresh)."""

    tenant_slug: str
    email: str
    password: str
    lifetime: timedelta


@frozen(kw_only=True)
class RenewSession:
    """Trade the session's current refresh id for a new one, for another ``lifetime``."""

    tenant_id: UUID
    session_id: UUID
    refresh_id: UUID
    lifetime: timedelta


@frozen(kw_only=True)
class SignedIn:
    """A live session and the actor it acts as (with the user's stored role)."""

    actor: Actor
    session: Session


@frozen
class _Principal:
    """What a session acts as, as cached: ``role`` None when it may not act at all."""

    user_id: UUID
    role: Role | None


class SignInHandler(UseCase):
    """Check a password and start a session; forgets the user's ended sessions.

    Raises Unauthenticated (unknown account, inactive user or wrong password, alike).
    """

    __slots__ = ("_authenticate",)

    def __init__(self, kernel: Kernel, authenticate: AuthenticateHandler) -> None:
        super().__init__(kernel)
        self._authenticate = authenticate

    async def __call__(self, command: SignIn) -> SignedIn:
        actor = await self._authenticate(
            Authenticate(tenant_slug=command.tenant_slug, email=command.email, password=command.password)
        )
        now = self._now()
        session = Session.start(
            id=self._id(),
            tenant_id=actor.tenant_id,
            user_id=actor.user_id,
            refresh_id=self._id(),
            now=now,
            lifetime=command.lifetime,
        )
        async with self._kernel.uow(actor.tenant_id) as uow:
            await uow.sessions.forget_ended(actor.user_id, now)
            await uow.sessions.add(session)
            await uow.commit()
        return SignedIn(
            actor=_acting(actor.tenant_id, actor.user_id, actor.role, session.id), session=session
        )


class RenewSessionHandler(UseCase):
    """Renew a live session under a new refresh id; returns it with its actor.

    Raises Unauthenticated when the session is unknown or ended; and, after revoking the
    session so that every token of it dies, when its user is gone or inactive or when
    ``refresh_id`` was already traded (a copy of the refresh token is in other hands). Of
    two renewals with the same refresh id at once, one succeeds and the other revokes.
    """

    __slots__ = ("_cache",)

    def __init__(self, kernel: Kernel, cache: Cache | None = None) -> None:
        super().__init__(kernel)
        self._cache = cache or kernel.cache

    async def __call__(self, command: RenewSession) -> SignedIn:
        now = self._now()
        async with self._kernel.uow(command.tenant_id) as uow:
            session = await uow.sessions.get(command.session_id)
            if session is None or not session.is_live(now):
                raise Unauthenticated(_ENDED)
            user = await uow.users.get(session.user_id)
            refusal = _refusal(command, session, user)
            if refusal is None and user is not None:
                renewed = session.renewed(refresh_id=self._id(), now=now, lifetime=command.lifetime)
                refusal = await _stored(uow, renewed)
        if refusal is not None or user is None:
            # Outside the failed unit: on SQLite it may still hold the write lock until it ends.
            await self._revoke(command)
            raise Unauthenticated(refusal or _INACTIVE)
        return SignedIn(actor=_acting(command.tenant_id, user.id, user.role, renewed.id), session=renewed)

    async def _revoke(self, command: RenewSession) -> None:
        async with self._kernel.uow(command.tenant_id) as uow:
            await revoke_sessions(uow, [command.session_id], self._now())
            await uow.commit()
        await self._cache.invalidate(command.tenant_id, (SESSIONS,))


_ENDED = "the session has ended; sign in again"
_REUSED = "refresh token already used; the session is revoked"
_INACTIVE = "the account is no longer active"


def _refusal(command: RenewSession, session: Session, user: User | None) -> str | None:
    if command.refresh_id != session.refresh_id:
        return _REUSED
    if user is None or not user.active:
        return _INACTIVE
    return None


async def _stored(uow: UnitOfWork, renewed: Session) -> str | None:
    """Store the renewal; a concurrent one that got there first makes this one a reuse."""
    try:
        await uow.sessions.update(renewed)
        await uow.commit()
    except Conflict:
        return _REUSED
    return None


class EndSessionHandler(UseCase):
    """Sign out: revoke the session, ending every token of it. Unknown or ended sessions are ignored."""

    __slots__ = ("_cache",)

    def __init__(self, kernel: Kernel, cache: Cache | None = None) -> None:
        super().__init__(kernel)
        self._cache = cache or kernel.cache

    async def __call__(self, tenant_id: UUID, session_id: UUID) -> None:
        async with self._kernel.uow(tenant_id) as uow:
            if not await revoke_sessions(uow, [session_id], self._now()):
                return
            await uow.commit()
        await self._cache.invalidate(tenant_id, (SESSIONS,))


class ResolveSessionHandler(UseCase):
    """The actor a request in session ``session_id`` of user ``user_id`` acts as now, with the
    user's stored role. Raises Unauthenticated when the session is unknown or revoked, belongs
    to another user or tenant, or its user is gone or inactive.

    The answer is cached per session (see :data:`SESSIONS`); expiry is the tokens' own.
    """

    __slots__ = ("_cache",)

    def __init__(self, kernel: Kernel, cache: Cache | None = None) -> None:
        super().__init__(kernel)
        self._cache = cache or kernel.cache

    async def __call__(self, tenant_id: UUID, session_id: UUID, user_id: UUID) -> Actor:
        key = CacheKey(tenant_id, SESSIONS, str(session_id))
        principal = await self._cache.get_or_compute(
            key, _Principal, lambda: self._load(tenant_id, session_id), SESSION_CACHE_SECONDS
        )
        if principal.role is None or principal.user_id != user_id:
            raise Unauthenticated(_ENDED)
        return _acting(tenant_id, user_id, principal.role, session_id)

    async def _load(self, tenant_id: UUID, session_id: UUID) -> _Principal:
        async with self._kernel.uow(tenant_id) as uow:
            view = await uow.sessions.get_view(session_id)
        if view is None:
            # Nobody: no user id matches the nil UUID, so the request is refused.
            return _Principal(UUID(int=0), None)
        return _Principal(view.user_id, view.role if _may_act(view) else None)


def _may_act(view: SessionView) -> bool:
    return view.user_active and not view.revoked


def _acting(tenant_id: UUID, user_id: UUID, role: Role, session_id: UUID) -> Actor:
    return Actor(tenant_id, user_id, role, session_id=session_id)
