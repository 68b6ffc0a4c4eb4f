"""Refuse requests whose Host header names a host this deployment does not serve.

Litestar's own ``AllowedHostsConfig`` (2.25) is not used: it compares the whole header,
port included, so ``Host: 127.0.0.1:8000`` (what curl sends to ``lana serve``) is refused
unless every port is listed; it compares case-sensitively, does not unwrap ``[::1]``, and
answers a plain JSON body where every other refusal here is problem+json.
"""

from __future__ import annotations

from collections.abc import Sequence

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from lana_http.problems import HttpProblem


class AllowedHostsMiddleware:
    """``allowed`` holds host names (port ignored), ``*.example.com`` patterns, or ``*`` for any.

    Raises HttpProblem (400) for any other host: a guard against DNS rebinding.
    """

    __slots__ = ("_any", "_app", "_exact", "_suffixes")

    def __init__(self, app: ASGIApp, allowed: Sequence[str]) -> None:
        self._app = app
        names = [host.strip().lower() for host in allowed if host.strip()]
        self._any = "*" in names
        self._exact = frozenset(n.strip("[]") for n in names if not n.startswith("*."))
        self._suffixes = tuple(n[1:] for n in names if n.startswith("*."))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and not self._any and not self._allowed(scope):
            raise HttpProblem(400, "invalid_host", "this server does not answer for that Host")
        await self._app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        host = _host(scope)
        return host in self._exact or any(host.endswith(suffix) for suffix in self._suffixes)


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            raw = value.decode("latin-1").strip().lower()
            if raw.startswith("["):
                return raw[1 : raw.find("]")] if "]" in raw else raw
            return raw.rsplit(":", 1)[0] if raw.count(":") == 1 else raw
    return ""
