"""The tenant, its settings and its users over HTTP."""

from __future__ import annotations

from tests.e2e.api import Api
from tests.support import PASSWORD


async def test_the_tenant_is_read_and_its_settings_replaced(api: Api) -> None:
    tenant = (await api.get("/tenant")).json()
    assert tenant["slug"] == api.slug
    settings = {**tenant["settings"], "agents_see_only_own_customers": True}
    changed = await api.put("/tenant/settings", json=settings)
    assert changed.status_code == 200
    assert changed.json()["settings"]["agents_see_only_own_customers"] is True


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
