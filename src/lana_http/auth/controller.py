"""Sign in, refresh, sign out, and who am I."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from lana_core.app import Lana
from lana_core.domain.tenancy import Actor
from lana_core.errors import Unauthenticated
from lana_core.usecases.tenants import ChangePassword
from lana_http.auth.tokens import AccessClaims, TokenPair
from lana_http.controllers._common import API
from lana_http.middleware.rate_limit import client_address, rate_headers
from lana_http.problems import READ, WRITE, HttpProblem, documented
from lana_http.runtime import Runtime
from lana_http.schemas.tenancy import LoginIn, LogoutIn, MeOut, PasswordChange, RefreshIn, TokenOut

LOGIN_WINDOW_SECONDS = 60
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class AuthController(Controller):
    """Sessions: sign in, refresh, sign out."""

    path = f"{API}/auth"
    tags = ("auth",)

    @post(
        "/login",
        operation_id="login",
        status_code=200,
        security=[{}],
        opt={"exclude_from_auth": True},
        responses=documented(*WRITE),
    )
    async def login(
        self,
        *,
        request: Request[Any, Any, Any],
        runtime: NamedDependency[Runtime],
        data: JSONBody[LoginIn],
    ) -> Response[TokenOut]:
        """Sign in with the tenant's slug, an email and a password; returns access and refresh tokens.

        Rate-limited per account and per client address."""
        await _limit_login(request, runtime, data)
        return _tokens(await runtime.tokens.sign_in(data.tenant, data.email, data.password))

    @post(
        "/refresh",
        operation_id="refreshTokens",
        status_code=200,
        security=[{}],
        opt={"exclude_from_auth": True},
        responses=documented(*WRITE),
    )
    async def refresh(
        self, *, runtime: NamedDependency[Runtime], data: JSONBody[RefreshIn]
    ) -> Response[TokenOut]:
        """Trade a refresh token for a new pair. Each refresh token works once; presenting a used
        one revokes the whole session."""
        return _tokens(await runtime.tokens.refresh(data.refresh_token))

    @post(
        "/logout",
        operation_id="logout",
        status_code=204,
        security=[{}],
        opt={"exclude_from_auth": True},
        responses=documented(*WRITE),
    )
    async def logout(
        self, *, request: Request[Any, Any, Any], runtime: NamedDependency[Runtime], data: JSONBody[LogoutIn]
    ) -> None:
        """End the session of the refresh token sent, and revoke the access token in use if any."""
        claims = await _bearer_claims(request, runtime)
        await runtime.tokens.logout(data.refresh_token, claims)

    @post("/password", operation_id="changePassword", status_code=204, responses=documented(*WRITE))
    async def change_password(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], data: JSONBody[PasswordChange]
    ) -> None:
        """Change one's own password, given the current one. Every other session of the user
        ends at once; this one goes on."""
        command = ChangePassword(current_password=data.current_password, new_password=data.new_password)
        await lana.change_password(actor, command)

    @get("/me", operation_id="whoAmI", responses=documented(*READ))
    async def me(self, *, actor: NamedDependency[Actor]) -> MeOut:
        """The signed-in user, tenant and role."""
        return MeOut.of(actor)


def _tokens(pair: TokenPair) -> Response[TokenOut]:
    body = TokenOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        token_type="Bearer",  # noqa: S106 - the scheme name, not a secret
        expires_in=pair.expires_in,
        refresh_expires_in=pair.refresh_expires_in,
    )
    return Response(body, status_code=200, headers=_NO_STORE)


async def _limit_login(
    request: Request[Any, Any, Any], runtime: NamedDependency[Runtime], data: JSONBody[LoginIn]
) -> None:
    limiter, http = runtime.services.rate_limiter, runtime.http
    account = f"{data.tenant.strip().lower()}:{data.email.strip().lower()}"
    for key, limit in (
        (f"login:client:{client_address(request.scope)}", http.login_ip_rate_limit_per_minute),
        (f"login:account:{account}", http.login_rate_limit_per_minute),
    ):
        if limit <= 0:
            continue
        decision = await limiter.hit(key, limit, LOGIN_WINDOW_SECONDS)
        if not decision.allowed:
            headers = {**rate_headers(decision), "Retry-After": str(decision.reset_seconds)}
            raise HttpProblem(
                429, "rate_limited", "too many sign-in attempts; wait and retry", headers=headers
            )


async def _bearer_claims(
    request: Request[Any, Any, Any], runtime: NamedDependency[Runtime]
) -> AccessClaims | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        return await runtime.tokens.authenticate(token.strip())
    except Unauthenticated:
        return None
