"""The tenant, its settings and its users over HTTP."""

from __future__ import annotations

from uuid import uuid4

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


async def test_a_created_user_answers_with_its_etag_and_where_it_is_read(api: Api) -> None:
    body = {"email": "lin@example.com", "name": "Lin", "role": "agent", "password": PASSWORD}
    created = await api.post("/users", json=body)

    assert created.status_code == 201
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == f"/api/v1/users/{created.json()['id']}"
    read = await api.get(created.headers["location"].removeprefix("/api/v1"))
    assert read.status_code == 200
    assert read.json() == created.json()
    assert read.headers["etag"] == '"1"'


async def test_a_deactivated_user_is_reactivated_and_signs_in_again(api: Api) -> None:
    agent = await api.as_role("agent")
    user_id = (await agent.me())["user_id"]
    assert (await api.post(f"/users/{user_id}/deactivate")).headers["etag"] == '"2"'

    reactivated = await api.post(f"/users/{user_id}/reactivate")

    assert reactivated.status_code == 200, reactivated.text
    assert reactivated.json()["active"] is True
    assert reactivated.headers["etag"] == '"3"'
    assert (await agent.get("/customers")).status_code == 401  # its old sessions stay ended
    again = await Api.login(api.client, api.slug, agent.email)
    assert (await again.get("/customers")).status_code == 200
    twice = await api.post(f"/users/{user_id}/reactivate")
    assert twice.status_code == 409
    assert twice.json()["type"].endswith("/conflict")


async def test_managers_read_users_and_change_none_while_agents_and_viewers_read_none(api: Api) -> None:
    manager, agent, viewer = [await api.as_role(role) for role in ("manager", "agent", "viewer")]
    agent_id = (await agent.me())["user_id"]

    listed = await manager.get("/users")
    assert listed.status_code == 200
    assert {user["email"] for user in listed.json()["items"]} == {
        api.email,
        manager.email,
        agent.email,
        viewer.email,
    }
    assert (await manager.get(f"/users/{agent_id}")).json()["email"] == agent.email
    body = {"email": "new@example.com", "name": "New", "role": "agent", "password": PASSWORD}
    refused = [
        await manager.post("/users", json=body),
        await manager.post(f"/users/{agent_id}/role", json={"role": "viewer"}),
        await manager.post(f"/users/{agent_id}/deactivate"),
        await manager.post(f"/users/{agent_id}/reactivate"),
        await manager.post(f"/users/{agent_id}/password", json={"new_password": "a reset passphrase"}),
    ]
    assert [response.status_code for response in refused] == [403] * 5
    for reader in (agent, viewer):
        assert (await reader.get("/users")).status_code == 403
        assert (await reader.get(f"/users/{agent_id}")).status_code == 403


async def test_an_admin_cannot_reset_its_own_password_without_the_current_one(api: Api) -> None:
    me = await api.me()

    response = await api.post(f"/users/{me['user_id']}/password", json={"new_password": "a reset passphrase"})

    assert response.status_code == 409
    assert (await api.get("/customers")).status_code == 200
    await Api.login(api.client, api.slug, api.email)


async def test_a_weak_reset_password_is_422_and_an_unknown_user_404(api: Api) -> None:
    agent = await api.as_role("agent")
    user_id = (await agent.me())["user_id"]

    weak = await api.post(f"/users/{user_id}/password", json={"new_password": "x" * 11})
    unknown = await api.post(f"/users/{uuid4()}/password", json={"new_password": "a reset passphrase"})

    assert weak.status_code == 422
    assert weak.json()["errors"][0]["field"] == "new_password"
    assert unknown.status_code == 404
    assert (await agent.get("/customers")).status_code == 200
