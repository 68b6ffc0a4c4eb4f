"""Bearer-token authentication for every route not marked ``exclude_from_auth``."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult

from lana_core.errors import Unauthenticated
from lana_http.runtime import runtime_of

PUBLIC_PATHS = ["^/health/", "^/schema"]


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``scope["user"]`` to the token's Actor and ``scope["auth"]`` to its claims.

    Raises Unauthenticated (401) for a missing, malformed, expired or revoked token.
    """

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("send an access token: 'Authorization: Bearer <token>'")
        claims = await runtime_of(connection).tokens.authenticate(token.strip())
        return AuthenticationResult(user=claims.actor, auth=claims)
