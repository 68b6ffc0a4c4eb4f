"""Signed access and refresh tokens (JWT, HS256) for the core's sign-in sessions.

Both kinds name their session (``sid``). An access token is short-lived, and on every
request its session and user are looked up (through the sessions cache): a revoked
session, a deactivated user or a changed role apply to the next request, and the role
used is the stored one, whatever the token says. A refresh token carries the session's
current refresh id (``jti``): each refresh replaces it, and a replaced one presented
again revokes the session, so a stolen copy dies with the original, access tokens too.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
from attrs import frozen

from lana_core.app import Lana
from lana_core.domain.sessions import Session
from lana_core.domain.tenancy import Actor
from lana_core.errors import Unauthenticated
from lana_core.ports import Clock
from lana_core.usecases.sessions import RenewSession, SignedIn, SignIn

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"
MIN_SECRET_LENGTH = 32
VERIFIED_CACHE_SIZE = 10_000
_REQUIRED = ["exp", "iat", "iss", "aud", "sub", "jti", "typ", "tenant", "role", "sid"]


@frozen(kw_only=True)
class TokenPair:
    """What a sign-in or a refresh hands out; lifetimes in seconds."""

    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int


@frozen(kw_only=True)
class AccessClaims:
    """A verified access token and who it acts as now (the stored role, its session)."""

    actor: Actor
    jti: str
    expires_at: datetime


@frozen(kw_only=True)
class _Signed:
    """What a token's signature vouches for: checked once per token, then remembered."""

    tenant_id: UUID
    user_id: UUID
    session_id: UUID
    jti: str
    expires_at: datetime


@frozen(kw_only=True)
class TokenConfig:
    """Raises ValueError for a secret shorter than 32 characters (HS256 wants 256 bits)."""

    secret: str
    issuer: str
    audience: str
    access_ttl: timedelta
    refresh_ttl: timedelta

    def __attrs_post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"the JWT secret must be at least {MIN_SECRET_LENGTH} characters")


class TokenService:
    """Signs in, refreshes, signs out and authenticates through ``lana``'s session use
    cases. Every failure raises Unauthenticated."""

    __slots__ = ("_clock", "_config", "_lana", "_verified")

    def __init__(self, config: TokenConfig, *, clock: Clock, lana: Lana) -> None:
        self._config = config
        self._clock = clock
        self._lana = lana
        self._verified: dict[str, _Signed] = {}

    async def sign_in(self, tenant_slug: str, email: str, password: str) -> TokenPair:
        """Start a session with a password."""
        command = SignIn(
            tenant_slug=tenant_slug, email=email, password=password, lifetime=self._config.refresh_ttl
        )
        return self._pair(await self._lana.sign_in(command))

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Trade a refresh token for a new pair; raises Unauthenticated (and revokes the
        session when the token was already used)."""
        claims = self._decode(refresh_token, REFRESH)
        signed = _signed(claims, self._clock.now())
        try:
            refresh_id = UUID(signed.jti)
        except ValueError:
            raise Unauthenticated("invalid token: bad jti") from None
        command = RenewSession(
            tenant_id=signed.tenant_id,
            session_id=signed.session_id,
            refresh_id=refresh_id,
            lifetime=self._config.refresh_ttl,
        )
        return self._pair(await self._lana.renew_session(command))

    async def logout(self, refresh_token: str | None, access: AccessClaims | None) -> None:
        """End the session of the refresh token and of the access token in use; never fails."""
        sessions: set[tuple[UUID, UUID]] = set()
        if access is not None and access.actor.session_id is not None:
            sessions.add((access.actor.tenant_id, access.actor.session_id))
        if refresh_token:
            try:
                signed = _signed(self._decode(refresh_token, REFRESH), self._clock.now())
            except Unauthenticated:
                signed = None
            if signed is not None:
                sessions.add((signed.tenant_id, signed.session_id))
        for tenant_id, session_id in sessions:
            await self._lana.end_session(tenant_id, session_id)

    async def authenticate(self, access_token: str) -> AccessClaims:
        """Who a valid access token of a live session acts as now; raises Unauthenticated."""
        now = self._clock.now()
        signed = self._verified.get(access_token)
        if signed is None or signed.expires_at <= now:
            signed = self._verify(access_token, now)
        actor = await self._lana.resolve_session(signed.tenant_id, signed.session_id, signed.user_id)
        return AccessClaims(actor=actor, jti=signed.jti, expires_at=signed.expires_at)

    def _verify(self, access_token: str, now: datetime) -> _Signed:
        # Checking a signature costs more than the rest of a small request: a token seen
        # before is trusted until it expires (its session is still checked every time).
        signed = _signed(self._decode(access_token, ACCESS), now)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[access_token] = signed
        return signed

    def _pair(self, signed_in: SignedIn) -> TokenPair:
        now = self._clock.now()
        session = signed_in.session
        # No access token outlives its session.
        access_expires = min(now + self._config.access_ttl, session.expires_at)
        actor = signed_in.actor
        jti = secrets.token_urlsafe(16)
        access = self._encode(actor, session, now, kind=ACCESS, expires=access_expires, jti=jti)
        refresh_id = str(session.refresh_id)
        refresh = self._encode(actor, session, now, kind=REFRESH, expires=session.expires_at, jti=refresh_id)
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_in=max(0, int((access_expires - now).total_seconds())),
            refresh_expires_in=max(0, int((session.expires_at - now).total_seconds())),
        )

    def _encode(
        self, actor: Actor, session: Session, now: datetime, *, kind: str, expires: datetime, jti: str
    ) -> str:
        payload: dict[str, Any] = {
            "iss": self._config.issuer,
            "aud": self._config.audience,
            "sub": str(actor.user_id),
            "tenant": str(actor.tenant_id),
            "sid": str(session.id),
            # For clients to read; requests act with the role stored now.
            "role": actor.role.value,
            "typ": kind,
            "jti": jti,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
        return jwt.encode(payload, self._config.secret, algorithm=ALGORITHM)

    def _decode(self, token: str, kind: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._config.secret,
                algorithms=[ALGORITHM],
                audience=self._config.audience,
                issuer=self._config.issuer,
                options={"require": _REQUIRED},
            )
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"invalid token: {_reason(error)}") from None
        if claims.get("typ") != kind:
            raise Unauthenticated(
                f"invalid token: not an {kind} token" if kind == ACCESS else "invalid token"
            )
        if not isinstance(claims.get("jti"), str):
            raise Unauthenticated("invalid token: bad jti")
        return claims


def _signed(claims: dict[str, Any], now: datetime) -> _Signed:
    try:
        return _Signed(
            tenant_id=UUID(str(claims["tenant"])),
            user_id=UUID(str(claims["sub"])),
            session_id=UUID(str(claims["sid"])),
            jti=claims["jti"],
            expires_at=datetime.fromtimestamp(claims["exp"], tz=now.tzinfo),
        )
    except (ValueError, TypeError, OverflowError):
        raise Unauthenticated("invalid token: bad subject") from None


def _reason(error: jwt.PyJWTError) -> str:
    if isinstance(error, jwt.ExpiredSignatureError):
        return "expired"
    if isinstance(error, jwt.InvalidAudienceError):
        return "wrong audience"
    if isinstance(error, jwt.InvalidIssuerError):
        return "wrong issuer"
    if isinstance(error, jwt.InvalidAlgorithmError):
        return "algorithm not allowed"
    if isinstance(error, jwt.InvalidSignatureError):
        return "bad signature"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"missing claim {error.claim}"
    return "malformed"
