"""Signing in and out of the web app."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from lana_core.errors import Unauthenticated
from lana_http.auth.controller import _limit_login
from lana_http.runtime import Runtime
from lana_http.schemas.tenancy import LoginIn
from lana_http.web.context import Viewer, current_session, page, web_auth
from lana_http.web.controllers._base import PageController
from lana_http.web.session import BROWSER_COOKIE, SESSION_COOKIE, new_browser_id

_MAX_FIELD = 320


class SignInController(PageController):
    """The sign-in form, and signing out."""

    path = "/"

    @get("/login", name="login")
    async def form(
        self, *, request: Request[Any, Any, Any], next: FromQuery[str | None] = None
    ) -> Response[Any]:
        """The sign-in form; a signed-in browser goes straight on."""
        if await current_session(request) is not None:
            return Redirect(_local(next), status_code=303)
        return _form(request, next=_local(next))

    @post("/login", name="sign-in")
    async def sign_in(
        self, *, request: Request[Any, Any, Any], runtime: NamedDependency[Runtime]
    ) -> Response[Any]:
        """Check the password, start a session and set its cookie; the form again on failure."""
        form = await request.form()
        tenant, email = _text(form.get("tenant")), _text(form.get("email"))
        password, target = _text(form.get("password")), _local(_text(form.get("next")))
        await _limit_login(request, runtime, LoginIn(tenant=tenant, email=email, password=password))
        try:
            started = await web_auth(request).sign_in(tenant, email, password)
        except Unauthenticated:
            error = "The tenant, email or password is not right, or the account is not active."
            return _form(request, next=target, tenant=tenant, email=email, error=error, status=401)
        response = Redirect(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            started.cookie,
            max_age=started.max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return response

    @post("/logout", name="sign-out")
    async def sign_out(
        self, *, request: Request[Any, Any, Any], viewer: NamedDependency[Viewer]
    ) -> Response[Any]:
        """End the session on the server (every copy of its cookie dies) and forget the cookie."""
        await web_auth(request).sign_out(viewer.session)
        response = Redirect("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


def _form(
    request: Request[Any, Any, Any],
    *,
    next: str,
    tenant: str = "",
    email: str = "",
    error: str | None = None,
    status: int = 200,
) -> Template:
    # The sign-in form's CSRF token is bound to a random cookie of this browser.
    browser = request.cookies.get(BROWSER_COOKIE) or new_browser_id()
    response = page(
        "login.html",
        None,
        status=status,
        csrf=web_auth(request).csrf_token(browser),
        next=next,
        tenant=tenant,
        email=email,
        error=error,
    )
    secure = request.url.scheme == "https"
    response.set_cookie(BROWSER_COOKIE, browser, path="/", httponly=True, samesite="lax", secure=secure)
    return response


def _text(value: object) -> str:
    return value[:_MAX_FIELD] if isinstance(value, str) else ""


def _local(target: str | None) -> str:
    """Where to go after signing in: a path of this site, never another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
