"""The API keys of one tenant."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from uuid import UUID

from lana_core.domain.api_keys import ApiKey, ApiKeyView
from lana_core.memory._staging import Scope


class InMemoryApiKeyRepository:
    """API keys of one tenant, indexed by their creator."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def add(self, key: ApiKey) -> None:
        """Stage a new key."""
        self._scope.check_tenant(key.tenant_id, "API key")
        self._scope.writing().api_keys.add(self._scope.space().api_keys, key)

    async def get(self, key_id: UUID) -> ApiKey | None:
        return self._scope.staged.api_keys.get(self._scope.space().api_keys, key_id)

    async def get_view(self, key_id: UUID) -> ApiKeyView | None:
        """The key with its creator's role and state; None when either is gone."""
        key = await self.get(key_id)
        if key is None:
            return None
        creator = self._scope.staged.users.get(self._scope.space().users, key.created_by)
        if creator is None:
            return None
        return ApiKeyView(key=key, creator_role=creator.role, creator_active=creator.active)

    async def update(self, key: ApiKey) -> None:
        """Stage ``key``; raises StaleVersion unless the stored version is ``key.version - 1``."""
        self._scope.check_tenant(key.tenant_id, "API key")
        self._scope.writing().api_keys.update(self._scope.space().api_keys, key)

    async def touch(self, key_id: UUID, now: datetime) -> None:
        """Set ``last_used_at`` when the unit commits, whatever the key's version then."""
        self._scope.writing().touched_api_keys[key_id] = now

    async def list_all(self) -> Sequence[ApiKey]:
        keys = self._scope.staged.api_keys.values(self._scope.space().api_keys)
        return sorted(keys, key=lambda key: (key.created_at, key.id), reverse=True)

    async def names(self, ids: Collection[UUID]) -> Mapping[UUID, str]:
        """The names of those of ``ids`` that are the tenant's keys."""
        wanted = set(ids)
        keys = self._scope.staged.api_keys.values(self._scope.space().api_keys)
        return {key.id: key.name for key in keys if key.id in wanted}
