"""API keys: admins create, list and revoke them; every request with one resolves who it
acts as now.

A key acts for its creator (who owns what it creates) in the key's role, capped by the
creator's role of the moment; audit entries and events name the key's id as their actor,
and the key's record names its creator. What a key acts as is cached in the sessions'
namespace (:data:`SESSIONS`): revoking a key, or changing or deactivating its creator,
drops it after commit, so the next request is refused or judged anew.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from attrs import frozen

from lana_core.domain import events
from lana_core.domain.api_keys import (
    ApiKey,
    ApiKeyRef,
    ApiKeyView,
    PresentedKey,
    check_role_within,
    lower_role,
)
from lana_core.domain.policy import Action, Resource
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import Conflict, NotFound, Unauthenticated
from lana_core.ports import Cache, CacheKey, UnitOfWork
from lana_core.usecases._base import Kernel, UseCase, authorize_in
from lana_core.usecases._recording import Change, changed, snapshot
from lana_core.usecases._revocation import SESSIONS

__all__ = [
    "CreateApiKey",
    "CreateApiKeyHandler",
    "CreatedApiKey",
    "ListApiKeysHandler",
    "ResolveApiKeyHandler",
    "RevokeApiKeyHandler",
    "acting_key",
]

# As for sessions: an entry outlives a missed invalidation by at most this long.
API_KEY_CACHE_SECONDS = 60.0
# ``last_used_at`` is bookkeeping: written at most this often per key and process.
LAST_USED_PRECISION = timedelta(minutes=1)
_REFUSED = "invalid, revoked or expired API key"


@frozen(kw_only=True)
class CreateApiKey:
    """A key named ``name`` acting in ``role``; ``expires_at`` None for a key that never expires."""

    name: str
    role: Role
    expires_at: datetime | None = None


@frozen(kw_only=True)
class CreatedApiKey:
    """A new key and its token: the only time the secret is ever handed out."""

    key: ApiKey
    token: str


class _ChangesApiKeys(UseCase):
    __slots__ = ("_sessions_cache",)

    def __init__(self, kernel: Kernel, sessions_cache: Cache | None = None) -> None:
        super().__init__(kernel)
        self._sessions_cache = sessions_cache or kernel.cache


class CreateApiKeyHandler(_ChangesApiKeys):
    """Create a key (admins only) in a role no higher than the actor's own.

    Raises PermissionDenied, ValidationError (blank name, expiry not in the future).
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: CreateApiKey) -> CreatedApiKey:
        now = self._now()
        check_role_within(Role(command.role), actor.role)
        key, token = ApiKey.issue(
            id=self._id(),
            tenant_id=actor.tenant_id,
            name=command.name,
            role=command.role,
            created_by=actor.user_id,
            now=now,
            expires_at=command.expires_at,
        )
        async with self._kernel.change(actor.tenant_id) as unit:
            await authorize_in(unit.uow, actor, Action.CREATE, Resource.API_KEY)
            await unit.uow.api_keys.add(key)
            await unit.record(actor, now, _key_change(events.API_KEY_CREATED, key, None))
            await unit.commit()
        return CreatedApiKey(key=key, token=token)


class ListApiKeysHandler(UseCase):
    """Every key of the tenant, newest first, revoked and expired ones too (admins only).

    Raises PermissionDenied."""

    __slots__ = ()

    async def __call__(self, actor: Actor) -> Sequence[ApiKey]:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await authorize_in(uow, actor, Action.READ, Resource.API_KEY)
            return await uow.api_keys.list_all()


class RevokeApiKeyHandler(_ChangesApiKeys):
    """Revoke a key (admins only): the next request with it is refused.

    Raises PermissionDenied, NotFound, Conflict (already revoked).
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, key_id: UUID) -> ApiKey:
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            uow = unit.uow
            await authorize_in(uow, actor, Action.DELETE, Resource.API_KEY)
            before = await uow.api_keys.get(key_id)
            if before is None:
                raise NotFound("API key", key_id)
            if before.revoked_at is not None:
                raise Conflict(f"API key {key_id} is already revoked")
            after = before.revoked(now)
            await uow.api_keys.update(after)
            await unit.record(actor, now, _key_change(events.API_KEY_REVOKED, after, before))
            await unit.commit()
        await self._sessions_cache.invalidate(actor.tenant_id, (SESSIONS,))
        return after


def _key_change(event_type: str, after: ApiKey, before: ApiKey | None) -> Change:
    return changed(event_type, "api_key", after, before, None, audited=_audited)


def _audited(key: ApiKey) -> dict[str, object]:
    facts = snapshot(key)
    # Neither the digest of the secret nor the use of the key belongs in the record of changes.
    facts.pop("secret_hash", None)
    facts.pop("last_used_at", None)
    return facts


@frozen
class _KeyPrincipal:
    """What a key acts as, as cached: ``role`` None when it may not act at all."""

    secret_hash: str
    user_id: UUID
    role: Role | None
    expires_at: datetime | None


class ResolveApiKeyHandler(UseCase):
    """The actor a request presenting ``token`` acts as now: the key's creator in the lesser
    of the key's role and the creator's. Raises Unauthenticated for a malformed, unknown,
    revoked or expired key, or one whose creator (or tenant) is gone or inactive.

    The answer is cached per key (see :data:`SESSIONS`); ``last_used_at`` is written at most
    once a minute per key.
    """

    __slots__ = ("_cache", "_last_written")

    def __init__(self, kernel: Kernel, cache: Cache | None = None) -> None:
        super().__init__(kernel)
        self._cache = cache or kernel.cache
        self._last_written: dict[UUID, datetime] = {}

    async def __call__(self, token: str) -> Actor:
        presented = PresentedKey.parse(token)
        key = CacheKey(presented.tenant_id, SESSIONS, f"api_key:{presented.key_id}")
        principal = await self._cache.get_or_compute(
            key, _KeyPrincipal, lambda: self._load(presented), API_KEY_CACHE_SECONDS
        )
        now = self._now()
        expired = principal.expires_at is not None and now >= principal.expires_at
        if principal.role is None or expired or not presented.matches(principal.secret_hash):
            raise Unauthenticated(_REFUSED)
        await self._note_use(presented, now)
        return Actor(presented.tenant_id, principal.user_id, principal.role, api_key_id=presented.key_id)

    async def _load(self, presented: PresentedKey) -> _KeyPrincipal:
        async with self._kernel.uow(presented.tenant_id) as uow:
            view = await uow.api_keys.get_view(presented.key_id)
        if view is None:
            # Nobody: no secret digests to the empty string, so the request is refused.
            return _KeyPrincipal("", UUID(int=0), None, None)
        role = _acting_role(view, self._now())
        return _KeyPrincipal(view.key.secret_hash, view.key.created_by, role, view.key.expires_at)

    async def _note_use(self, presented: PresentedKey, now: datetime) -> None:
        last = self._last_written.get(presented.key_id)
        if last is not None and now - last < LAST_USED_PRECISION:
            return
        if len(self._last_written) >= _REMEMBERED_KEYS:
            self._last_written.clear()
        self._last_written[presented.key_id] = now
        async with self._kernel.uow(presented.tenant_id) as uow:
            await uow.api_keys.touch(presented.key_id, now)
            await uow.commit()


_REMEMBERED_KEYS = 10_000


def _acting_role(view: ApiKeyView, now: datetime) -> Role | None:
    if not view.creator_active or not view.key.is_live(now):
        return None
    return lower_role(view.key.role, view.creator_role)


async def acting_key(uow: UnitOfWork, actor: Actor) -> ApiKeyRef | None:
    """The API key ``actor`` acts with, as what it records names it; None without a key.
    Raises Unauthenticated if the key is gone (keys are revoked, not deleted, so only with
    its creator)."""
    if actor.api_key_id is None:
        return None
    name = (await uow.api_keys.names((actor.api_key_id,))).get(actor.api_key_id)
    if name is None:
        raise Unauthenticated(_REFUSED)
    return ApiKeyRef(actor.api_key_id, name)
