"""API keys: long-lived bearer secrets that integrations (an n8n workflow calling back)
act with, in a role no higher than their creator's.

A key is shown once, as ``lana_sk_<tenant id>_<key id>_<secret>``: the prefix lets secret
scanners recognise it, the ids let a request find the key by primary key, and only a
SHA-256 digest of the secret is stored. The secret is 256 random bits, so a fast digest is
as safe as a slow password hash here and costs nothing per request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from uuid import UUID

from attrs import evolve, frozen

from lana_core.domain import validation
from lana_core.domain.tenancy import Role
from lana_core.errors import PermissionDenied, Unauthenticated

PREFIX = "lana_sk_"
_SECRET_BYTES = 32
_MAX_TOKEN_LENGTH = 256
_MALFORMED = "invalid API key"


@frozen(kw_only=True)
class ApiKey:
    """One key of a tenant. ``role`` is what it may do at most; it acts for ``created_by``
    (who owns what it creates) and never above that user's role of the moment."""

    id: UUID
    tenant_id: UUID
    name: str
    role: Role
    secret_hash: str
    created_by: UUID
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    version: int

    @classmethod
    def issue(
        cls,
        *,
        id: UUID,
        tenant_id: UUID,
        name: str,
        role: Role,
        created_by: UUID,
        now: datetime,
        expires_at: datetime | None,
    ) -> tuple[ApiKey, str]:
        """A new key and its token, the only time the secret exists outside the caller.

        Raises ValidationError (blank or long name, expiry without a time zone or not in the future)."""
        errors = validation.Errors()
        clean_name = validation.text(errors, "name", name, max_length=200, required=True)
        if expires_at is not None and expires_at.tzinfo is None:
            errors.add("expires_at", "naive_datetime", "must carry a time zone")
        elif expires_at is not None and expires_at <= now:
            errors.add("expires_at", "in_past", "must be in the future")
        errors.raise_if_any()
        assert clean_name is not None
        secret = secrets.token_urlsafe(_SECRET_BYTES)
        key = cls(
            id=id,
            tenant_id=tenant_id,
            name=clean_name,
            role=Role(role),
            secret_hash=digest(secret),
            created_by=created_by,
            created_at=now,
            expires_at=expires_at,
            revoked_at=None,
            last_used_at=None,
            version=1,
        )
        return key, f"{PREFIX}{tenant_id.hex}_{id.hex}_{secret}"

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def revoked(self, now: datetime) -> ApiKey:
        return evolve(self, revoked_at=now, version=self.version + 1)


@frozen
class ApiKeyRef:
    """An API key as the records it wrote name it: its id, and its name for people to read
    (a key's name never changes, so a record may keep it)."""

    id: UUID
    name: str


@frozen(kw_only=True)
class PresentedKey:
    """A token as a request presents it, split into what it names and its secret."""

    tenant_id: UUID
    key_id: UUID
    secret: str

    @classmethod
    def parse(cls, token: str) -> PresentedKey:
        """Raises Unauthenticated for anything not shaped like a key."""
        if not token.startswith(PREFIX) or len(token) > _MAX_TOKEN_LENGTH:
            raise Unauthenticated(_MALFORMED)
        tenant, _, rest = token[len(PREFIX) :].partition("_")
        key, _, secret = rest.partition("_")
        try:
            return cls(tenant_id=UUID(hex=tenant), key_id=UUID(hex=key), secret=secret)
        except ValueError:
            raise Unauthenticated(_MALFORMED) from None

    def matches(self, secret_hash: str) -> bool:
        return hmac.compare_digest(digest(self.secret), secret_hash)


@frozen(kw_only=True)
class ApiKeyView:
    """A key with what its creator is now, read together: what a request with it acts as."""

    key: ApiKey
    creator_role: Role
    creator_active: bool


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


_RANK = {Role.VIEWER: 0, Role.AGENT: 1, Role.MANAGER: 2, Role.ADMIN: 3}


def lower_role(first: Role, second: Role) -> Role:
    """The lesser of two roles (viewer < agent < manager < admin)."""
    return first if _RANK[first] <= _RANK[second] else second


def check_role_within(role: Role, ceiling: Role) -> None:
    """Refuse a key role above its creator's; raises PermissionDenied."""
    if lower_role(role, ceiling) is not role:
        raise PermissionDenied(f"a key may not have a role above your own ({ceiling})")
