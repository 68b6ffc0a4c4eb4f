"""Ending sign-in sessions from any use case, and the cache namespace that says what they act as."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from lana_core.ports import UnitOfWork

# The cache namespace of what sessions act as. Every change to a session or to a user
# drops it (after commit), so a revocation, a deactivation or a new role is seen by the
# next request.
SESSIONS = "sessions"


async def revoke_sessions(uow: UnitOfWork, session_ids: Iterable[UUID], now: datetime) -> int:
    """Revoke each of ``session_ids`` still live in ``uow``; returns how many were. The caller
    commits, then invalidates :data:`SESSIONS`."""
    revoked = 0
    for session_id in session_ids:
        session = await uow.sessions.get(session_id)
        if session is not None and session.is_live(now):
            await uow.sessions.update(session.revoked(now))
            revoked += 1
    return revoked


async def revoke_sessions_of(
    uow: UnitOfWork, user_id: UUID, now: datetime, *, keep: UUID | None = None
) -> None:
    """Revoke every live session of ``user_id`` but ``keep``. The caller commits, then
    invalidates :data:`SESSIONS`."""
    for session in await uow.sessions.live_of(user_id, now):
        if session.id != keep:
            await uow.sessions.update(session.revoked(now))
