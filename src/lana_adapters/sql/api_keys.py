"""The API keys of one tenant."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select, update

from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.tables import api_keys, users
from lana_adapters.sql.tx import AnyRow, Tx
from lana_adapters.sql.writes import add, check_tenant, insert, update_versioned, versioned_update
from lana_core.domain.api_keys import ApiKey, ApiKeyView
from lana_core.domain.tenancy import Role

_INSERT = insert(api_keys)
_UPDATE = versioned_update(api_keys)
_BY_ID = Prepared(
    select(api_keys).where(api_keys.c.tenant_id == bindparam("tenant"), api_keys.c.id == bindparam("id")),
    by_key=True,
)
# What a request with a key checks (unless cached): one read by key.
_VIEW = Prepared(
    select(api_keys, users.c.role.label("creator_role"), users.c.active.label("creator_active"))
    .join(users, (users.c.tenant_id == api_keys.c.tenant_id) & (users.c.id == api_keys.c.created_by))
    .where(api_keys.c.tenant_id == bindparam("tenant"), api_keys.c.id == bindparam("id")),
    by_key=True,
)
_ALL = select(api_keys).where(api_keys.c.tenant_id == bindparam("tenant"))


class SqlApiKeyRepository:
    """The API keys of the unit of work's tenant."""

    __slots__ = ("_tx",)

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def add(self, key: ApiKey) -> None:
        """Store a new key."""
        check_tenant(self._tx, key.tenant_id, "API key")
        await add(self._tx, _INSERT, _values(key))

    async def get(self, key_id: UUID) -> ApiKey | None:
        row = await self._tx.first(_BY_ID, {"tenant": self._tx.tenant_id, "id": key_id})
        return None if row is None else _key_of(row)

    async def get_view(self, key_id: UUID) -> ApiKeyView | None:
        """The key with its creator's role and state, in one read; None when either is gone."""
        row = await self._tx.first(_VIEW, {"tenant": self._tx.tenant_id, "id": key_id})
        if row is None:
            return None
        return ApiKeyView(
            key=_key_of(row), creator_role=Role(row.creator_role), creator_active=bool(row.creator_active)
        )

    async def update(self, key: ApiKey) -> None:
        """Store ``key``; raises StaleVersion unless the stored version is ``key.version - 1``."""
        check_tenant(self._tx, key.tenant_id, "API key")
        await update_versioned(self._tx, _UPDATE, _values(key), "API key")

    async def touch(self, key_id: UUID, now: datetime) -> None:
        """Set ``last_used_at``, leaving the version alone."""
        await self._tx.write(
            update(api_keys)
            .where(api_keys.c.tenant_id == self._tx.tenant_id, api_keys.c.id == key_id)
            .values(last_used_at=now)
        )

    async def list_all(self) -> Sequence[ApiKey]:
        rows = await self._tx.rows(_ALL, {"tenant": self._tx.tenant_id})
        return sorted(map(_key_of, rows), key=lambda key: (key.created_at, key.id), reverse=True)

    async def names(self, ids: Collection[UUID]) -> Mapping[UUID, str]:
        """The names of those of ``ids`` that are the tenant's keys, in one read."""
        if not ids:
            return {}
        statement = select(api_keys.c.id, api_keys.c.name).where(
            api_keys.c.tenant_id == self._tx.tenant_id, api_keys.c.id.in_(set(ids))
        )
        return {row.id: row.name for row in await self._tx.rows(statement)}


def _values(key: ApiKey) -> dict[str, Any]:
    return {
        "tenant_id": key.tenant_id,
        "id": key.id,
        "name": key.name,
        "role": key.role.value,
        "secret_hash": key.secret_hash,
        "created_by": key.created_by,
        "created_at": key.created_at,
        "expires_at": key.expires_at,
        "revoked_at": key.revoked_at,
        "last_used_at": key.last_used_at,
        "version": key.version,
    }


def _key_of(row: AnyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        role=Role(row.role),
        secret_hash=row.secret_hash,
        created_by=row.created_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        version=row.version,
    )
