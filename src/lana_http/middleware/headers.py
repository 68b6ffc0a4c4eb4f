"""Security headers on every response, and no caching of anything under /api or of the pages."""

from __future__ import annotations

from litestar.types import Message, Scope

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The API reference page loads everything from this server (see lana_http.reference) and
# runs no inline script; its script sets styles inline.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)
_API = (*_ALWAYS, (b"content-security-policy", API_CSP.encode()), (b"cache-control", b"no-store"))
_DOCS = (*_ALWAYS, (b"content-security-policy", DOCS_CSP.encode()))
_OTHER = (*_ALWAYS, (b"content-security-policy", API_CSP.encode()))
# The web app's pages: their own origin only (static files set their own Cache-Control).
WEB_CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
_WEB = (*_ALWAYS, (b"content-security-policy", WEB_CSP.encode()), (b"cache-control", b"no-store"))
_NOT_PAGES = ("/health/", "/metrics")


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A ``before_send`` hook: runs for every response, errors raised before routing included.

    A header the response already carries (a handler's own Cache-Control) is left alone.
    """
    if message["type"] != "http.response.start":
        return
    path = str(scope.get("path", ""))
    wanted = _API if path.startswith("/api/") else _DOCS if path.startswith("/schema") else _page(path)
    headers = list(message.get("headers", ()))
    present = {bytes(name).lower() for name, _ in headers}
    headers.extend(pair for pair in wanted if pair[0] not in present)
    message["headers"] = headers


def _page(path: str) -> tuple[tuple[bytes, bytes], ...]:
    return _OTHER if path.startswith(_NOT_PAGES) else _WEB
