"""Bearer authentication for every route not marked ``exclude_from_auth``: an access token
of a sign-in session, or an API key (``lana_sk_…``)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult

from lana_core.domain.api_keys import PREFIX
from lana_core.domain.tenancy import Actor
from lana_core.errors import Unauthenticated
from lana_http.middleware.rate_limit import WINDOW_SECONDS, rate_headers
from lana_http.problems import HttpProblem
from lana_http.runtime import Runtime, runtime_of

PUBLIC_PATHS = ["^/health/", "^/schema"]


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``scope["user"]`` to the bearer's Actor and ``scope["auth"]`` to an access
    token's claims (None for an API key).

    Raises Unauthenticated (401) for a missing, malformed, expired or revoked token or key,
    HttpProblem (429) once an API key has spent its minute's budget.
    """

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("send an access token: 'Authorization: Bearer <token>'")
        runtime = runtime_of(connection)
        if token.strip().startswith(PREFIX):
            actor = await runtime.lana.resolve_api_key(token.strip())
            await _limit_key(runtime, actor)
            return AuthenticationResult(user=actor, auth=None)
        claims = await runtime.tokens.authenticate(token.strip())
        return AuthenticationResult(user=claims.actor, auth=claims)


async def _limit_key(runtime: Runtime, actor: Actor) -> None:
    """Count the request against its key; every process shares the limiter's store."""
    limit = runtime.http.api_key_rate_limit_per_minute
    if limit <= 0 or actor.api_key_id is None:
        return
    decision = await runtime.services.rate_limiter.hit(
        f"rate:api_key:{actor.api_key_id}", limit, WINDOW_SECONDS
    )
    if not decision.allowed:
        raise HttpProblem(
            429,
            "rate_limited",
            f"more than {limit} requests a minute with this API key; retry in {decision.reset_seconds} s",
            headers={**rate_headers(decision), "Retry-After": str(decision.reset_seconds)},
        )
