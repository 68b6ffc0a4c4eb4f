"""The API keys of one tenant."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, select, update

from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.repository import TxRepository
from lana_adapters.sql.rows import api_key_of, api_key_values
from lana_adapters.sql.tables import api_keys, users
from lana_adapters.sql.writes import TenantRows
from lana_core.domain.api_keys import ApiKey, ApiKeyView
from lana_core.domain.tenancy import Role

_KEYS = TenantRows(api_keys, "API key", api_key_of, api_key_values)
# What a request with a key checks (unless cached): one read by key.
_VIEW = Prepared(
    select(api_keys, users.c.role.label("creator_role"), users.c.active.label("creator_active"))
    .join(users, (users.c.tenant_id == api_keys.c.tenant_id) & (users.c.id == api_keys.c.created_by))
    .where(api_keys.c.tenant_id == bindparam("tenant"), api_keys.c.id == bindparam("id")),
    by_key=True,
)
_ALL = select(api_keys).where(api_keys.c.tenant_id == bindparam("tenant"))


class SqlApiKeyRepository(TxRepository):
    """The API keys of the unit of work's tenant."""

    __slots__ = ()

    async def add(self, key: ApiKey) -> None:
        """Store a new key."""
        await _KEYS.add(self._tx, key)

    async def get(self, key_id: UUID) -> ApiKey | None:
        return await _KEYS.get(self._tx, key_id)

    async def get_view(self, key_id: UUID) -> ApiKeyView | None:
        """The key with its creator's role and state, in one read; None when either is gone."""
        row = await self._tx.first(_VIEW, {"tenant": self._tx.tenant_id, "id": key_id})
        if row is None:
            return None
        return ApiKeyView(
            key=api_key_of(row), creator_role=Role(row.creator_role), creator_active=bool(row.creator_active)
        )

    async def update(self, key: ApiKey) -> None:
        """Store ``key``; raises StaleVersion unless the stored version is ``key.version - 1``."""
        await _KEYS.update(self._tx, key)

    async def touch(self, key_id: UUID, now: datetime) -> None:
        """Set ``last_used_at``, leaving the version alone."""
        await self._tx.write(
            update(api_keys)
            .where(api_keys.c.tenant_id == self._tx.tenant_id, api_keys.c.id == key_id)
            .values(last_used_at=now)
        )

    async def list_all(self) -> Sequence[ApiKey]:
        rows = await self._tx.rows(_ALL, {"tenant": self._tx.tenant_id})
        return sorted(map(api_key_of, rows), key=lambda key: (key.created_at, key.id), reverse=True)

    async def names(self, ids: Collection[UUID]) -> Mapping[UUID, str]:
        """The names of those of ``ids`` that are the tenant's keys, in one read."""
        if not ids:
            return {}
        statement = select(api_keys.c.id, api_keys.c.name).where(
            api_keys.c.tenant_id == self._tx.tenant_id, api_keys.c.id.in_(set(ids))
        )
        return {row.id: row.name for row in await self._tx.rows(statement)}
