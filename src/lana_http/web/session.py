"""The browser's sign-in: a cookie naming a core sign-in session, and CSRF tokens bound to it.

The cookie is a signed token (HS256) naming the tenant, the user and the session; it
lives as long as the session. Every request resolves the session through the core (the
same use case, cache and revocation as the API's bearer tokens): a session ended by
signing out, or a user deactivated, is out on the next request, whatever the cookie says.

The web's key is derived from the API's signing secret, so neither kind of token passes
for the other. CSRF tokens are HMACs of the session id (signed in) or of a random
per-browser cookie (the sign-in form), so a token taken from one session is worth nothing
in another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
from attrs import frozen

from lana_core.app import Lana
from lana_core.domain.tenancy import Actor
from lana_core.errors import Unauthenticated
from lana_core.ports import Clock
from lana_core.usecases.sessions import SignIn

SESSION_COOKIE = "lana_session"
BROWSER_COOKIE = "lana_browser"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
_AUDIENCE = "lana-web"
_ALGORITHM = "HS256"
_REQUIRED = ["exp", "aud", "sub", "tenant", "sid", "email"]


@frozen(kw_only=True)
class WebSession:
    """Who a valid session cookie acts as now, and what the pages show of them."""

    actor: Actor
    email: str
    expires_at: datetime

    @property
    def session_id(self) -> UUID:
        assert self.actor.session_id is not None
        return self.actor.session_id


@frozen(kw_only=True)
class Started:
    """A new session: the cookie's value and how long it lives."""

    cookie: str
    max_age: int


class WebAuth:
    """Signs in, reads session cookies and issues CSRF tokens. Every refusal raises Unauthenticated."""

    __slots__ = ("_clock", "_key", "_lana", "_lifetime")

    def __init__(self, secret: str, *, lana: Lana, clock: Clock, lifetime: timedelta) -> None:
        self._key = hmac.new(secret.encode(), b"lana web session", hashlib.sha256).digest()
        self._lana = lana
        self._clock = clock
        self._lifetime = lifetime

    async def sign_in(self, tenant: str, email: str, password: str) -> Started:
        """Start a core session with a password."""
        command = SignIn(tenant_slug=tenant, email=email, password=password, lifetime=self._lifetime)
        signed_in = await self._lana.sign_in(command)
        session, actor = signed_in.session, signed_in.actor
        payload: dict[str, Any] = {
            "aud": _AUDIENCE,
            "sub": str(actor.user_id),
            "tenant": str(actor.tenant_id),
            "sid": str(session.id),
            "email": email.strip().lower(),
            "exp": int(session.expires_at.timestamp()),
        }
        max_age = max(0, int((session.expires_at - self._clock.now()).total_seconds()))
        return Started(cookie=jwt.encode(payload, self._key, algorithm=_ALGORITHM), max_age=max_age)

    async def session(self, cookie: str) -> WebSession:
        """The live session a cookie names; raises Unauthenticated."""
        try:
            claims = jwt.decode(
                cookie, self._key, algorithms=[_ALGORITHM], audience=_AUDIENCE, options={"require": _REQUIRED}
            )
            tenant_id, user_id = UUID(str(claims["tenant"])), UUID(str(claims["sub"]))
            session_id = UUID(str(claims["sid"]))
            expires_at = datetime.fromtimestamp(int(claims["exp"]), tz=self._clock.now().tzinfo)
        except (jwt.PyJWTError, ValueError, TypeError, OverflowError):
            raise Unauthenticated("sign in again") from None
        actor = await self._lana.resolve_session(tenant_id, session_id, user_id)
        return WebSession(actor=actor, email=str(claims["email"]), expires_at=expires_at)

    async def sign_out(self, session: WebSession) -> None:
        """End the session for good: every cookie and token of it stops working."""
        await self._lana.end_session(session.actor.tenant_id, session.session_id)

    def csrf_token(self, binding: str) -> str:
        """The CSRF token for a session id, or for a browser cookie before sign-in."""
        digest = hmac.new(self._key, f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()
        return digest[:40]

    def csrf_matches(self, binding: str, token: str) -> bool:
        return hmac.compare_digest(self.csrf_token(binding), token)


def new_browser_id() -> str:
    return secrets.token_urlsafe(24)
