"""API key bodies. Only the answer to a create carries the key's token, once; nothing
ever carries the digest of its secret."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from lana_core.domain.api_keys import ApiKey
from lana_core.domain.tenancy import Role
from lana_http.schemas.base import Body, Out
from lana_http.schemas.fields import Name


class ApiKeyCreate(Body):
    name: Name
    role: Role
    # None (or left out): the key never expires.
    expires_at: datetime | None = None


class ApiKeyOut(Out):
    id: UUID
    name: str
    role: Role
    created_by: UUID
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id,
            name=key.name,
            role=key.role,
            created_by=key.created_by,
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


class ApiKeyCreated(Out):
    """The new key and its token (``Authorization: Bearer <token>``), shown this once."""

    key: ApiKeyOut
    token: str


class ApiKeyList(Out):
    items: list[ApiKeyOut]
