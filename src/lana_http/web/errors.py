"""Errors as pages: the core's typed errors and HTTP's own, in the app's layout.

A request that is not signed in is sent to the sign-in form (htmx is told to go there
too); a dependency that is down says so plainly; anything unexpected is logged and
answered with a page that tells nothing of the cause.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect

from lana_core.errors import (
    Conflict,
    Gone,
    LanaError,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    ValidationError,
)
from lana_http.problems import HttpProblem
from lana_http.web.context import Viewer, is_htmx, page, resolved_session, web_auth
from lana_http.web.session import SESSION_COOKIE

_log = logging.getLogger("lana.web")

AnyRequest = Request[Any, Any, Any]
Handler = Callable[[AnyRequest, Exception], Response[Any]]

_TITLES = {
    400: "Something in the address is not right",
    403: "You may not do that",
    404: "Not found",
    405: "Not allowed here",
    409: "That clashes with a change made meanwhile",
    410: "This was merged into another record",
    413: "Too much to send at once",
    422: "Some of that is not valid",
    429: "Too many requests",
    500: "Something went wrong",
    503: "A service Lana depends on is unavailable",
}
_DOMAIN: tuple[tuple[type[LanaError], int], ...] = (
    (ValidationError, 422),
    (NotFound, 404),
    (Gone, 410),
    (Conflict, 409),
    (PermissionDenied, 403),
    (LimitExceeded, 429),
    (Unavailable, 503),
)
_NOT_WEB = ("/api/", "/schema", "/health/", "/metrics")


def error_page(request: AnyRequest, status: int, message: str) -> Response[Any]:
    """The error page for ``status``, in the layout of the signed-in viewer if known."""
    session = resolved_session(request)
    viewer = None
    if session is not None:
        viewer = Viewer(session=session, csrf=web_auth(request).csrf_token(str(session.session_id)))
    title = _TITLES.get(status, "Something went wrong")
    # htmx swaps every answer in (see base.html): an error takes the whole page, not the
    # part that asked.
    headers = {"HX-Retarget": "body", "HX-Reswap": "innerHTML"} if is_htmx(request) else None
    return page(
        "error.html", viewer, status=status, headers=headers, title=title, message=message, code=status
    )


def handle_lana_error(request: AnyRequest, error: Exception) -> Response[Any]:
    assert isinstance(error, LanaError)
    if isinstance(error, Unauthenticated):
        return to_sign_in(request)
    if isinstance(error, Unavailable):
        _log.warning("dependency unavailable: %s", error.message)
        return error_page(request, 503, "Please retry in a moment; nothing you sent was lost or half-saved.")
    if isinstance(error, ValidationError) and request.method == "GET":
        return error_page(request, 400, "; ".join(f"{e.field}: {e.message}" for e in error.errors))
    for kind, status in _DOMAIN:
        if isinstance(error, kind):
            return error_page(request, status, error.message)
    return error_page(request, 400, error.message)


def handle_http_problem(request: AnyRequest, error: Exception) -> Response[Any]:
    assert isinstance(error, HttpProblem)
    response = error_page(request, error.status, error.detail)
    response.headers.update({k: v for k, v in error.headers.items() if k.lower() == "retry-after"})
    return response


def handle_validation_exception(request: AnyRequest, error: Exception) -> Response[Any]:
    assert isinstance(error, ValidationException)
    return error_page(request, 400, "a value in the address is not one this page takes")


def handle_http_exception(request: AnyRequest, error: Exception) -> Response[Any]:
    assert isinstance(error, HTTPException)
    if error.status_code >= 500:
        return handle_unexpected(request, error)
    messages = {404: "There is nothing at this address.", 405: "This address does not take that request."}
    return error_page(request, error.status_code, messages.get(error.status_code, str(error.detail)))


def handle_unexpected(request: AnyRequest, error: Exception) -> Response[Any]:
    _log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return error_page(request, 500, "The error was logged. Please try again.")


def to_sign_in(request: AnyRequest) -> Response[Any]:
    """Send the browser to the sign-in form, coming back here afterwards (for a page read)."""
    target = "/login"
    if request.method == "GET" and request.url.path not in ("/", "/login"):
        target = f"/login?next={quote(request.url.path, safe='/')}"
    if is_htmx(request):
        response: Response[Any] = Response(b"", status_code=204, headers={"HX-Redirect": target})
    else:
        response = Redirect(target, status_code=303)
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


WEB_EXCEPTION_HANDLERS: Mapping[type[Exception], Handler] = {
    LanaError: handle_lana_error,
    HttpProblem: handle_http_problem,
    ValidationException: handle_validation_exception,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}


def wants_page(request: AnyRequest) -> bool:
    """Whether an error outside the pages' own routes (an unknown address, a refused host or
    rate) goes to a browser rather than an API client."""
    path = request.url.path
    return not path.startswith(_NOT_WEB) and "text/html" in request.headers.get("accept", "")


def pages_for_browsers(handlers: Mapping[type[Exception], Handler]) -> dict[type[Exception], Handler]:
    """``handlers`` (the API's problems), answering a browser's request with a page instead."""
    combined: dict[type[Exception], Handler] = {}
    for kind, api_handler in handlers.items():
        page_handler = WEB_EXCEPTION_HANDLERS.get(kind, handle_unexpected)
        combined[kind] = _either(api_handler, page_handler)
    return combined


def _either(api_handler: Handler, page_handler: Handler) -> Handler:
    def handle(request: AnyRequest, error: Exception) -> Response[Any]:
        return page_handler(request, error) if wants_page(request) else api_handler(request, error)

    return handle
