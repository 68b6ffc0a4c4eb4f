"""Rate limits per client address and per tenant, with ``RateLimit-*`` headers and 429 + Retry-After."""

from __future__ import annotations

import enum

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from lana_adapters.security import RateDecision
from lana_core.domain.tenancy import Actor
from lana_http.problems import HttpProblem
from lana_http.runtime import STATE_KEY, Runtime

WINDOW_SECONDS = 60
EXEMPT_PREFIXES = ("/health/", "/schema")


class LimitBy(enum.StrEnum):
    CLIENT = "client"
    TENANT = "tenant"


class RateLimitMiddleware:
    """Counts each request against its client address (before authentication) or its tenant
    (after it). Raises HttpProblem (429) once the minute's budget is spent.

    Only the client limiter advertises ``RateLimit-*`` on every response; the tenant
    limiter speaks up when it refuses.
    """

    __slots__ = ("_app", "_by")

    def __init__(self, app: ASGIApp, by: LimitBy) -> None:
        self._app = app
        self._by = by

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or str(scope["path"]).startswith(EXEMPT_PREFIXES):
            await self._app(scope, receive, send)
            return
        runtime: Runtime = scope["app"].state[STATE_KEY]
        key, limit = self._budget(scope, runtime)
        if key is None or limit <= 0:
            await self._app(scope, receive, send)
            return
        decision = await runtime.services.rate_limiter.hit(key, limit, WINDOW_SECONDS)
        headers = rate_headers(decision)
        if not decision.allowed:
            raise HttpProblem(
                429,
                "rate_limited",
                f"more than {limit} requests a minute; retry in {decision.reset_seconds} s",
                headers={**headers, "Retry-After": str(decision.reset_seconds)},
            )
        if self._by is LimitBy.TENANT:
            await self._app(scope, receive, send)
            return

        advertised = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *advertised]
            await send(message)

        await self._app(scope, receive, send_with_headers)

    def _budget(self, scope: Scope, runtime: Runtime) -> tuple[str | None, int]:
        if self._by is LimitBy.CLIENT:
            return f"rate:client:{client_address(scope)}", runtime.http.rate_limit_per_minute
        actor = scope.get("user")
        if not isinstance(actor, Actor):
            return None, 0
        return f"rate:tenant:{actor.tenant_id}", runtime.http.tenant_rate_limit_per_minute


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def rate_headers(decision: RateDecision) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(decision.limit),
        "RateLimit-Remaining": str(decision.remaining),
        "RateLimit-Reset": str(decision.reset_seconds),
        "RateLimit-Policy": f"{decision.limit};w={WINDOW_SECONDS}",
    }
