"""The sign-in sessions of one tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from lana_core.domain.sessions import Session, SessionView
from lana_core.memory._staging import Scope


class InMemorySessionRepository:
    """Sessions of one tenant, indexed by user; ended ones are forgotten at commit when asked."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def add(self, session: Session) -> None:
        """Stage a new session."""
        self._scope.check_tenant(session.tenant_id, "session")
        self._scope.writing().sessions.add(self._scope.space().sessions, session)

    async def get(self, session_id: UUID) -> Session | None:
        return self._scope.staged.sessions.get(self._scope.space().sessions, session_id)

    async def get_view(self, session_id: UUID) -> SessionView | None:
        """The session with its user's role and state; None when either is gone."""
        session = await self.get(session_id)
        if session is None:
            return None
        user = self._scope.staged.users.get(self._scope.space().users, session.user_id)
        if user is None:
            return None
        return SessionView(
            session_id=session.id,
            user_id=user.id,
            revoked=session.revoked_at is not None,
            role=user.role,
            user_active=user.active,
        )

    async def update(self, session: Session) -> None:
        """Stage ``session``; raises StaleVersion unless the stored version is ``session.version - 1``."""
        self._scope.check_tenant(session.tenant_id, "session")
        self._scope.writing().sessions.update(self._scope.space().sessions, session)

    async def live_of(self, user_id: UUID, now: datetime) -> Sequence[Session]:
        return [s for s in self._of(user_id) if s.is_live(now)]

    async def forget_ended(self, user_id: UUID, now: datetime) -> None:
        """Delete the user's revoked or expired sessions when the unit commits."""
        ended = [s.id for s in self._of(user_id) if not s.is_live(now)]
        if ended:
            self._scope.writing().forgotten_sessions.extend(ended)

    def _of(self, user_id: UUID) -> list[Session]:
        return self._scope.staged.sessions.children(self._scope.space().sessions, user_id)
