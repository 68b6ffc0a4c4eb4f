"""Sign-in sessions: what refresh tokens renew and every access token of them depends on.

The stored session is the record: an access token acts only while its session is live
and its user active, so revoking a session (sign-out, a refresh token used twice, a
password change) or deactivating the user ends every token of it at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from attrs import evolve, frozen

from lana_core.domain.tenancy import Role


@frozen(kw_only=True)
class Session:
    """One sign-in of a user. ``refresh_id`` names the one refresh token that may renew it
    now; each renewal replaces it, so a replaced one presented again is a copy."""

    id: UUID
    tenant_id: UUID
    user_id: UUID
    refresh_id: UUID
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    version: int

    @classmethod
    def start(
        cls, *, id: UUID, tenant_id: UUID, user_id: UUID, refresh_id: UUID, now: datetime, lifetime: timedelta
    ) -> Session:
        return cls(
            id=id,
            tenant_id=tenant_id,
            user_id=user_id,
            refresh_id=refresh_id,
            created_at=now,
            expires_at=now + lifetime,
            revoked_at=None,
            version=1,
        )

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def renewed(self, *, refresh_id: UUID, now: datetime, lifetime: timedelta) -> Session:
        """The session renewed for another ``lifetime`` from ``now``, under a new refresh id."""
        return evolve(self, refresh_id=refresh_id, expires_at=now + lifetime, version=self.version + 1)

    def revoked(self, now: datetime) -> Session:
        return evolve(self, revoked_at=now, version=self.version + 1)


@frozen(kw_only=True)
class SessionView:
    """A session with what its user is now, read together: what a request acts as."""

    session_id: UUID
    user_id: UUID
    revoked: bool
    role: Role
    user_active: bool
