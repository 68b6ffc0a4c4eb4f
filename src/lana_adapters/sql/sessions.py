"""The sign-in sessions of one tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, delete, or_, select

from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.repository import TxRepository
from lana_adapters.sql.rows import session_of, session_values
from lana_adapters.sql.tables import sessions, users
from lana_adapters.sql.writes import TenantRows
from lana_core.domain.sessions import Session, SessionView
from lana_core.domain.tenancy import Role

_SESSIONS = TenantRows(sessions, "session", session_of, session_values)
# What every authenticated request checks (unless cached): one read by key.
_VIEW = Prepared(
    select(
        sessions.c.id.label("session_id"),
        sessions.c.revoked_at,
        users.c.id.label("user_id"),
        users.c.role,
        users.c.active,
    )
    .join(users, (users.c.tenant_id == sessions.c.tenant_id) & (users.c.id == sessions.c.user_id))
    .where(sessions.c.tenant_id == bindparam("tenant"), sessions.c.id == bindparam("id")),
    by_key=True,
)
_OF_USER = select(sessions).where(
    sessions.c.tenant_id == bindparam("tenant"), sessions.c.user_id == bindparam("user")
)


class SqlSessionRepository(TxRepository):
    """The sessions of the unit of work's tenant."""

    __slots__ = ()

    async def add(self, session: Session) -> None:
        """Store a new session."""
        await _SESSIONS.add(self._tx, session)

    async def get(self, session_id: UUID) -> Session | None:
        return await _SESSIONS.get(self._tx, session_id)

    async def get_view(self, session_id: UUID) -> SessionView | None:
        """The session with its user's role and state, in one read; None when either is gone."""
        row = await self._tx.first(_VIEW, {"tenant": self._tx.tenant_id, "id": session_id})
        if row is None:
            return None
        return SessionView(
            session_id=row.session_id,
            user_id=row.user_id,
            revoked=row.revoked_at is not None,
            role=Role(row.role),
            user_active=bool(row.active),
        )

    async def update(self, session: Session) -> None:
        """Store ``session``; raises StaleVersion unless the stored version is ``session.version - 1``."""
        await _SESSIONS.update(self._tx, session)

    async def live_of(self, user_id: UUID, now: datetime) -> Sequence[Session]:
        rows = await self._tx.rows(_OF_USER, {"tenant": self._tx.tenant_id, "user": user_id})
        return [session for session in map(session_of, rows) if session.is_live(now)]

    async def forget_ended(self, user_id: UUID, now: datetime) -> None:
        """Delete the user's revoked or expired sessions."""
        await self._tx.write(
            delete(sessions).where(
                sessions.c.tenant_id == self._tx.tenant_id,
                sessions.c.user_id == user_id,
                or_(sessions.c.revoked_at.is_not(None), sessions.c.expires_at <= now),
            )
        )
