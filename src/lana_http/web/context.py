"""What every page request shares: who is signed in, the CSRF check, and rendering a page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, cast

from attrs import frozen
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.response import Template

from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import PermissionDenied, Unauthenticated
from lana_http.auth.secret import signing_secret
from lana_http.runtime import runtime_of
from lana_http.web.session import BROWSER_COOKIE, CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, WebAuth, WebSession

WEB_AUTH_KEY = "web_auth"
_SESSION_STATE = "web_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Connection = ASGIConnection[Any, Any, Any, Any]


class FormRefused(PermissionDenied):
    """A form without the CSRF token of the browser's session: stale, or sent from another site."""


@frozen(kw_only=True)
class Viewer:
    """The signed-in user as the pages see them: their session and the CSRF token of their forms."""

    session: WebSession
    csrf: str

    @property
    def actor(self) -> Actor:
        return self.session.actor

    @property
    def role(self) -> Role:
        return self.session.actor.role

    @property
    def can_edit(self) -> bool:
        """Whether the role writes at all; the core still decides each change."""
        return self.role is not Role.VIEWER

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def manages(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)


def web_auth(connection: Connection) -> WebAuth:
    """The app's :class:`WebAuth`, made on first use from the API's signing secret."""
    state = connection.app.state
    auth = state.get(WEB_AUTH_KEY)
    if auth is None:
        runtime = runtime_of(connection)
        secret = signing_secret(runtime.http.jwt_secret, runtime.services.settings.database.url)
        lifetime = timedelta(seconds=runtime.http.refresh_token_ttl_seconds)
        auth = WebAuth(secret, lana=runtime.lana, clock=runtime.services.clock, lifetime=lifetime)
        state[WEB_AUTH_KEY] = auth
    return cast("WebAuth", auth)


async def current_session(connection: Connection) -> WebSession | None:
    """The live session the request's cookie names, resolved once per request; None when
    there is none or it has ended."""
    state = connection.state
    if _SESSION_STATE in state:
        return cast("WebSession | None", state[_SESSION_STATE])
    cookie = connection.cookies.get(SESSION_COOKIE)
    session = None
    if cookie:
        try:
            session = await web_auth(connection).session(cookie)
        except Unauthenticated:
            session = None
    state[_SESSION_STATE] = session
    return session


def resolved_session(connection: Connection) -> WebSession | None:
    """The session :func:`current_session` found earlier in this request, without a look-up."""
    return cast("WebSession | None", connection.state.get(_SESSION_STATE))


async def provide_viewer(request: Request[Any, Any, Any]) -> Viewer:
    """The signed-in viewer; raises Unauthenticated (the pages redirect to the sign-in form)."""
    session = await current_session(request)
    if session is None:
        raise Unauthenticated("sign in first")
    return Viewer(session=session, csrf=web_auth(request).csrf_token(str(session.session_id)))


async def csrf_guard(connection: Connection, _: BaseRouteHandler) -> None:
    """Refuse (403) a change whose form or ``X-CSRF-Token`` header lacks the token of the
    browser's session, or of its browser cookie before sign-in."""
    if not isinstance(connection, Request) or connection.method in _SAFE_METHODS:
        return
    session = await current_session(connection)
    binding = str(session.session_id) if session else connection.cookies.get(BROWSER_COOKIE)
    token = connection.headers.get(CSRF_HEADER)
    if token is None:
        token = (await connection.form()).get(CSRF_FIELD)
    if not binding or not isinstance(token, str) or not web_auth(connection).csrf_matches(binding, token):
        raise FormRefused("this form has expired or came from another site: reload the page and try again")


def page(
    template: str,
    viewer: Viewer | None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Template:
    """Render ``template`` for ``viewer``; every page gets ``viewer`` and its CSRF token."""
    csrf = context.pop("csrf", "")
    values = {**context, "viewer": viewer, "csrf": viewer.csrf if viewer else csrf}
    return Template(template_name=template, context=values, status_code=status, headers=dict(headers or {}))


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    """Whether htmx sent the request (it then wants a fragment, not a whole page)."""
    return request.headers.get("hx-request") == "true"
