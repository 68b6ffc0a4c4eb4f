"""Refresh-token families and revoked access tokens: the state behind sign-in sessions.

A sign-in starts a *family*; each refresh replaces the family's current token with a new
one. Presenting a token that was already replaced means it leaked (or a client raced
itself): the whole family is revoked, so the thief's copy dies with the owner's.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from attrs import define, frozen

SWEEP_EVERY = timedelta(minutes=1)


@frozen(kw_only=True)
class RefreshToken:
    """One issued refresh token, known by its ``jti``; ``family_id`` ties it to its sign-in."""

    jti: str
    family_id: str
    tenant_id: UUID
    user_id: UUID
    expires_at: datetime


class Rotation(enum.StrEnum):
    ROTATED = "rotated"
    REUSED = "reused"
    UNKNOWN = "unknown"


class RefreshTokenStore(Protocol):
    """Where refresh tokens live between sign-in and expiry."""

    async def add(self, token: RefreshToken) -> None:
        """Remember a token issued at sign-in (the first of its family)."""
        ...

    async def rotate(self, jti: str, successor: RefreshToken, now: datetime) -> Rotation:
        """Atomically retire ``jti`` and store ``successor`` in its family (``successor.family_id``
        must name that family, else UNKNOWN).

        Returns REUSED (and revokes the family) when ``jti`` was already retired, UNKNOWN
        when it was never issued, expired or its family is revoked.
        """
        ...

    async def revoke_family_of(self, jti: str) -> None:
        """Revoke the family ``jti`` belongs to (sign-out); unknown tokens are ignored."""
        ...


class AccessTokenRevocations(Protocol):
    """Access tokens signed out before they expire."""

    async def revoke(self, jti: str, expires_at: datetime) -> None:
        """Refuse ``jti`` from now on; it can be forgotten once it expires anyway."""
        ...

    async def is_revoked(self, jti: str, now: datetime) -> bool: ...


@define
class _Family:
    current: str | None
    revoked: bool = False


class InMemoryTokenStore:
    """Both token stores in one process; every operation is atomic under asyncio (no await inside).

    Expired entries are swept on writes, so memory stays bounded by the live sessions.
    """

    __slots__ = ("_families", "_next_sweep", "_revoked_access", "_tokens")

    def __init__(self) -> None:
        self._tokens: dict[str, RefreshToken] = {}
        self._families: dict[str, _Family] = {}
        self._revoked_access: dict[str, datetime] = {}
        self._next_sweep: datetime | None = None

    async def add(self, token: RefreshToken) -> None:
        self._tokens[token.jti] = token
        self._families[token.family_id] = _Family(current=token.jti)

    async def rotate(self, jti: str, successor: RefreshToken, now: datetime) -> Rotation:
        self._sweep(now)
        token = self._tokens.get(jti)
        family = None if token is None else self._families.get(token.family_id)
        if token is None or family is None or family.revoked or token.expires_at <= now:
            return Rotation.UNKNOWN
        if successor.family_id != token.family_id:
            return Rotation.UNKNOWN
        if family.current != jti:
            family.revoked = True
            family.current = None
            return Rotation.REUSED
        family.current = successor.jti
        self._tokens[successor.jti] = successor
        return Rotation.ROTATED

    async def revoke_family_of(self, jti: str) -> None:
        token = self._tokens.get(jti)
        family = None if token is None else self._families.get(token.family_id)
        if family is not None:
            family.revoked = True
            family.current = None

    async def revoke(self, jti: str, expires_at: datetime) -> None:
        self._revoked_access[jti] = expires_at

    async def is_revoked(self, jti: str, now: datetime) -> bool:
        self._sweep(now)
        until = self._revoked_access.get(jti)
        return until is not None and until > now

    def _sweep(self, now: datetime) -> None:
        # A full pass costs O(sessions): run it at most once a minute.
        if self._next_sweep is not None and now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_EVERY
        expired = [jti for jti, token in self._tokens.items() if token.expires_at <= now]
        for jti in expired:
            del self._tokens[jti]
        live = {token.family_id for token in self._tokens.values()}
        for family_id in [f for f in self._families if f not in live]:
            del self._families[family_id]
        for jti in [j for j, until in self._revoked_access.items() if until <= now]:
            del self._revoked_access[jti]
