"""Signed access and refresh tokens (JWT, HS256) and the sessions behind them.

Access tokens are short-lived and checked on every request; refresh tokens are single
use: each refresh retires the old token and issues a new one in the same family, and a
retired token presented again revokes the whole family.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
from attrs import frozen

from lana_adapters.security import AccessTokenRevocations, RefreshToken, RefreshTokenStore, Rotation
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import Unauthenticated
from lana_core.ports import Clock

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"
MIN_SECRET_LENGTH = 32
VERIFIED_CACHE_SIZE = 10_000
_REQUIRED = ["exp", "iat", "iss", "aud", "sub", "jti", "typ", "tenant", "role"]

# Who a refresh token's user is now (None: gone or inactive): roles change, users leave.
CurrentActor = Callable[[UUID, UUID], Awaitable[Actor | None]]


@frozen(kw_only=True)
class TokenPair:
    """What a sign-in or a refresh hands out; lifetimes in seconds."""

    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int


@frozen(kw_only=True)
class AccessClaims:
    """A verified access token: who it stands for, and its id for sign-out."""

    actor: Actor
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
    """Issues, verifies, rotates and revokes tokens. Every failure raises Unauthenticated."""

    __slots__ = ("_clock", "_config", "_current_actor", "_refresh", "_revocations", "_verified")

    def __init__(
        self,
        config: TokenConfig,
        *,
        clock: Clock,
        refresh_tokens: RefreshTokenStore,
        revocations: AccessTokenRevocations,
        current_actor: CurrentActor,
    ) -> None:
        self._config = config
        self._clock = clock
        self._refresh = refresh_tokens
        self._revocations = revocations
        self._current_actor = current_actor
        self._verified: dict[str, AccessClaims] = {}

    async def issue(self, actor: Actor) -> TokenPair:
        """Start a session (a new refresh family) for ``actor``."""
        now = self._clock.now()
        token, refresh = self._refresh_token(actor, now, family_id=secrets.token_urlsafe(16))
        await self._refresh.add(refresh)
        return self._pair(actor, now, token)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Trade a refresh token for a new pair; raises Unauthenticated (and revokes the family
        when the token was already used)."""
        claims = self._decode(refresh_token, REFRESH)
        old = _actor_of(claims)
        actor = await self._current_actor(old.tenant_id, old.user_id)
        if actor is None:
            await self._refresh.revoke_family_of(claims["jti"])
            raise Unauthenticated("the account is no longer active")
        now = self._clock.now()
        token, successor = self._refresh_token(actor, now, family_id=str(claims.get("fam", "")))
        outcome = await self._refresh.rotate(claims["jti"], successor, now)
        if outcome is Rotation.REUSED:
            raise Unauthenticated("refresh token already used; the session is revoked")
        if outcome is not Rotation.ROTATED:
            raise Unauthenticated("refresh token revoked or unknown")
        return self._pair(actor, now, token)

    async def logout(self, refresh_token: str | None, access: AccessClaims | None) -> None:
        """End the session of a refresh token and retire the access token in use; never fails."""
        if access is not None:
            await self._revocations.revoke(access.jti, access.expires_at)
        if refresh_token:
            try:
                claims = self._decode(refresh_token, REFRESH)
            except Unauthenticated:
                return
            await self._refresh.revoke_family_of(claims["jti"])

    async def authenticate(self, access_token: str) -> AccessClaims:
        """The claims of a valid, unrevoked access token; raises Unauthenticated."""
        now = self._clock.now()
        verified = self._verified.get(access_token)
        if verified is None or verified.expires_at <= now:
            verified = self._verify(access_token, now)
        if await self._revocations.is_revoked(verified.jti, now):
            raise Unauthenticated("the token was revoked")
        return verified

    def _verify(self, access_token: str, now: datetime) -> AccessClaims:
        # Checking a signature costs more than the rest of a small request: a token seen
        # before is trusted until it expires (revocation is still checked every time).
        claims = self._decode(access_token, ACCESS)
        expires_at = datetime.fromtimestamp(claims["exp"], tz=now.tzinfo)
        verified = AccessClaims(actor=_actor_of(claims), jti=claims["jti"], expires_at=expires_at)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[access_token] = verified
        return verified

    def _pair(self, actor: Actor, now: datetime, refresh_token: str) -> TokenPair:
        access = self._encode(actor, now, ACCESS, self._config.access_ttl)
        return TokenPair(
            access_token=access,
            refresh_token=refresh_token,
            expires_in=int(self._config.access_ttl.total_seconds()),
            refresh_expires_in=int(self._config.refresh_ttl.total_seconds()),
        )

    def _refresh_token(self, actor: Actor, now: datetime, *, family_id: str) -> tuple[str, RefreshToken]:
        jti = secrets.token_urlsafe(16)
        token = self._encode(actor, now, REFRESH, self._config.refresh_ttl, jti=jti, family_id=family_id)
        record = RefreshToken(
            jti=jti,
            family_id=family_id,
            tenant_id=actor.tenant_id,
            user_id=actor.user_id,
            expires_at=now + self._config.refresh_ttl,
        )
        return token, record

    def _encode(
        self,
        actor: Actor,
        now: datetime,
        kind: str,
        ttl: timedelta,
        *,
        jti: str | None = None,
        family_id: str | None = None,
    ) -> str:
        payload: dict[str, Any] = {
            "iss": self._config.issuer,
            "aud": self._config.audience,
            "sub": str(actor.user_id),
            "tenant": str(actor.tenant_id),
            "role": actor.role.value,
            "typ": kind,
            "jti": jti or secrets.token_urlsafe(16),
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
        }
        if family_id is not None:
            payload["fam"] = family_id
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


def _actor_of(claims: dict[str, Any]) -> Actor:
    try:
        return Actor(UUID(str(claims["tenant"])), UUID(str(claims["sub"])), Role(str(claims["role"])))
    except ValueError:
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
