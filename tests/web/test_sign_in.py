"""Signing in to the web app: a cookie session over the core's sign-in sessions, CSRF on
every form, and errors as pages."""

from __future__ import annotations

from tests.e2e.api import Api
from tests.support import PASSWORD
from tests.web.pages import Pages


async def test_signing_in_sets_an_http_only_lax_cookie_and_opens_the_dashboard(
    pages: Pages, api: Api
) -> None:
    response = await pages.sign_in(api.slug, api.email)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "lana_session=" in cookie
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    dashboard = await pages.get("/")
    assert dashboard.status_code == 200
    assert "<title>Dashboard · Lana</title>" in dashboard.text


async def test_a_wrong_password_shows_the_form_again_with_an_error(pages: Pages, api: Api) -> None:
    response = await pages.sign_in(api.slug, api.email, password="not the password at all")

    assert response.status_code == 401
    assert "is not right" in response.text
    assert "lana_session" not in response.headers.get("set-cookie", "")


async def test_a_page_without_a_session_sends_the_browser_to_sign_in(pages: Pages) -> None:
    home = await pages.get("/")
    response = await pages.get("/customers")

    assert home.status_code == 303
    assert home.headers["location"] == "/login"
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/customers"


async def test_signing_in_goes_back_to_the_page_asked_for_but_never_to_another_site(
    pages: Pages, api: Api
) -> None:
    await pages.get("/login?next=//evil.example/x")
    response = await pages.post(
        "/login", {"tenant": api.slug, "email": api.email, "password": "x", "next": "//evil.example/x"}
    )
    assert response.status_code == 401
    assert 'name="next" value="/"' in response.text
    back = await pages.post(
        "/login", {"tenant": api.slug, "email": api.email, "password": PASSWORD, "next": "/customers"}
    )
    assert back.headers["location"] == "/customers"


async def test_a_form_without_its_csrf_token_is_refused(signed_in: Pages) -> None:
    signed_in.csrf = "forged"
    response = await signed_in.post("/logout")

    assert response.status_code == 403
    assert "reload the page" in response.text
    assert (await signed_in.get("/")).status_code == 200


async def test_a_sign_in_form_from_another_site_is_refused(pages: Pages, api: Api) -> None:
    response = await pages.post("/login", {"tenant": api.slug, "email": api.email, "password": "x"})

    assert response.status_code == 403


async def test_signing_out_ends_the_session_on_the_server(signed_in: Pages) -> None:
    cookie = signed_in.client.cookies.get("lana_session")
    await signed_in.get("/")
    response = await signed_in.post("/logout")

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    # A copy of the cookie kept elsewhere is worth nothing now.
    signed_in.client.cookies.set("lana_session", cookie or "")
    assert (await signed_in.get("/")).status_code == 303


async def test_a_deactivated_user_is_out_on_the_next_request(pages: Pages, api: Api) -> None:
    agent = await api.as_role("agent")
    await pages.sign_in(api.slug, agent.email)
    assert (await pages.get("/")).status_code == 200
    me = await agent.me()

    response = await api.post(f"/users/{me['user_id']}/deactivate")
    assert response.status_code == 200, response.text

    assert (await pages.get("/")).status_code == 303


async def test_an_unknown_page_is_a_404_page_for_a_browser_and_a_problem_for_the_api(
    signed_in: Pages,
) -> None:
    page = await signed_in.get("/no/such/page")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>Not found · Lana</title>" in page.text

    problem = await signed_in.client.get("/api/v1/no/such/route")
    assert problem.status_code == 404
    assert problem.headers["content-type"].startswith("application/problem+json")


async def test_pages_are_served_under_a_strict_content_security_policy(signed_in: Pages) -> None:
    response = await signed_in.get("/")

    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["cache-control"] == "no-store"
    asset = await signed_in.get("/static/htmx.min.js")
    assert asset.status_code == 200
    assert "max-age" in asset.headers["cache-control"]
