"""The tenant, its settings and its users over HTTP."""

from __future__ import annotations

from tests.e2e.api import Api
from tests.support import PASSWORD


async def test_the_tenant_is_read_and_its_settings_replaced(api: Api) -> None:
    read = await api.get("/tenant")
    tenant = read.json()
    assert tenant["slug"] == api.slug
    assert read.headers["etag"] == '"1"'
    settings = {**tenant["settings"], "agents_see_only_own_customers": True}
    changed = await api.put("/tenant/settings", json=settings, headers={"If-Match": read.headers["etag"]})
    assert changed.status_code == 200
    assert changed.json()["settings"]["agents_see_only_own_customers"] is True
    assert changed.headers["etag"] == '"2"'
    assert changed.json()["settings_version"] == 2
    assert (await api.get("/tenant")).headers["etag"] == '"2"'


async def test_a_settings_change_without_if_match_is_428_and_changes_nothing(api: Api) -> None:
    before = (await api.get("/tenant")).json()
    settings = {**before["settings"], "daily_model_call_budget": 7}
    response = await api.put("/tenant/settings", json=settings)
    assert response.status_code == 428
    assert response.json()["type"].endswith("/precondition-required")
    assert (await api.get("/tenant")).json() == before


async def test_two_admins_replacing_the_settings_they_read_make_one_200_and_one_412(api: Api) -> None:
    other_admin = await api.as_role("admin")
    read = await api.get("/tenant")
    etag, settings = read.headers["etag"], read.json()["settings"]
    mine = await api.put(
        "/tenant/settings", json={**settings, "daily_model_call_budget": 1}, headers={"If-Match": etag}
    )
    theirs = await other_admin.put(
        "/tenant/settings", json={**settings, "insight_max_age_seconds": 5}, headers={"If-Match": etag}
    )
    assert (mine.status_code, theirs.status_code) == (200, 412)
    assert theirs.json()["type"].endswith("/precondition-failed")
    after = (await api.get("/tenant")).json()
    assert after["settings"] == {**settings, "daily_model_call_budget": 1}


async def test_users_are_created_listed_and_deactivated_without_their_hashes(api: Api) -> None:
    body = {"email": "Agent@Example.com", "name": "Alan Agent", "role": "agent", "password": PASSWORD}
    created = await api.post("/users", json=body)
    assert created.status_code == 201
    user = created.json()
    assert user["email"] == "agent@example.com"
    assert user["active"] is True
    assert "password" not in created.text
    assert "hash" not in created.text
    listed = (await api.get("/users")).json()
    assert {u["email"] for u in listed["items"]} == {api.email, "agent@example.com"}
    deactivated = await api.post(f"/users/{user['id']}/deactivate")
    assert deactivated.status_code == 200
    assert deactivated.json()["active"] is False
    login = await api.client.post(
        "/api/v1/auth/login", json={"tenant": api.slug, "email": "agent@example.com", "password": PASSWORD}
    )
    assert login.status_code == 401


async def test_a_weak_password_is_refused(api: Api) -> None:
    body = {"email": "weak@example.com", "name": "Weak", "role": "viewer", "password": "short"}
    response = await api.post("/users", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "password"


async def test_an_admin_cannot_deactivate_itself(api: Api) -> None:
    me = await api.me()
    assert (await api.post(f"/users/{me['user_id']}/deactivate")).status_code == 409


async def test_a_taken_slug_is_a_conflict(api: Api) -> None:
    body = {
        "slug": api.slug,
        "name": "Again",
        "admin_email": "a@example.com",
        "admin_name": "A",
        "admin_password": PASSWORD,
    }
    assert (await api.client.post("/api/v1/tenants", json=body)).status_code == 409
