"""Admin pages: users and tenant settings, for admins only."""

from __future__ import annotations

import re

from tests.e2e.api import Api
from tests.support import PASSWORD
from tests.web.pages import Pages


async def test_an_admin_creates_a_user_who_can_then_sign_in(signed_in: Pages, api: Api) -> None:
    await signed_in.get("/admin/users")
    email = f"new@{api.slug}.example.com"

    created = await signed_in.post(
        "/admin/users", {"email": email, "name": "New Agent", "role": "agent", "password": PASSWORD}
    )

    assert created.status_code == 200
    assert f"{email} can now sign in as agent" in created.text
    assert (await Api.login(api.client, api.slug, email)).tokens["access_token"]


async def test_a_weak_password_is_shown_beside_its_field(signed_in: Pages, api: Api) -> None:
    await signed_in.get("/admin/users")
    response = await signed_in.post(
        "/admin/users",
        {"email": f"x@{api.slug}.example.com", "name": "X", "role": "agent", "password": "short"},
    )
    assert response.status_code == 422
    assert 'id="password-error"' in response.text


async def test_changing_a_role_and_deactivating_a_user(signed_in: Pages, api: Api) -> None:
    agent = await api.as_role("agent")
    user_id = (await agent.me())["user_id"]
    await signed_in.get("/admin/users")

    assert (await signed_in.post(f"/admin/users/{user_id}/role", {"role": "manager"})).status_code == 303
    assert (await agent.me())["role"] == "manager"
    assert (await signed_in.post(f"/admin/users/{user_id}/deactivate")).status_code == 303
    assert (await agent.get("/auth/me")).status_code == 401


async def test_settings_are_saved_with_their_version_and_a_stale_save_is_refused(signed_in: Pages) -> None:
    page = await signed_in.get("/admin/settings")
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    form = {"version": version.group(1), "insight_max_age_seconds": "600", "daily_model_call_budget": "5"}

    assert "Settings saved." in (await signed_in.post("/admin/settings", form)).text
    stale = await signed_in.post("/admin/settings", {**form, "agents_see_only_own_customers": "on"})

    assert stale.status_code == 409
    assert "Another admin changed the settings" in stale.text


async def test_admin_pages_are_refused_to_other_roles(pages: Pages, api: Api) -> None:
    manager = await api.as_role("manager")
    await pages.sign_in(api.slug, manager.email)

    dashboard = await pages.get("/")
    assert 'href="/admin/users"' not in dashboard.text
    assert (await pages.get("/admin/users")).status_code == 403
    assert (await pages.get("/admin/settings")).status_code == 403
