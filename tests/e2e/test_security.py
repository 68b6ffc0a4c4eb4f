"""Tenant isolation, the role matrix, and what responses never contain."""

from __future__ import annotations

from uuid import UUID, uuid4

import httpx
import pytest
from litestar import Litestar

from lana_core.domain.policy import is_allowed
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from tests.e2e.api import Api
from tests.e2e.conftest import SECRET
from tests.e2e.routes import DECISIONS, Call, Ids, calls
from tests.support import PASSWORD


async def _records(admin: Api) -> Ids:
    customer = await admin.customer()
    project = await admin.project(customer["id"])
    task = await admin.task(project["id"])
    user = (await admin.post("/users", json=_user_body())).json()
    interaction = await admin.interaction(customer["id"])
    other = await admin.customer()
    return Ids(
        customer=customer["id"],
        project=project["id"],
        task=task["id"],
        user=user["id"],
        interaction=interaction["id"],
        other_customer=other["id"],
    )


def _user_body() -> dict[str, str]:
    return {
        "email": f"target-{uuid4().hex[:12]}@example.com",
        "name": "T",
        "role": "viewer",
        "password": PASSWORD,
    }


async def _send(api: Api, call: Call) -> httpx.Response:
    if call.content is not None:
        return await api.request(call.method, call.path, content=call.content, headers=call.headers or {})
    return await api.request(call.method, call.path, json=call.json, headers=call.headers or {})


def _operations(app: Litestar) -> set[str]:
    schema = app.openapi_schema.to_schema()
    return {op["operationId"] for path in schema["paths"].values() for op in path.values()}


def test_every_operation_has_a_policy_decision_and_a_call(app: Litestar) -> None:
    operations = _operations(app)
    assert operations == set(DECISIONS)
    ids = Ids(customer="c", project="p", task="t", user="u", interaction="i")
    needing_a_call = {op for op, decision in DECISIONS.items() if decision is not None}
    assert needing_a_call <= set(calls(ids))


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.AGENT, Role.VIEWER])
async def test_every_route_answers_as_the_policy_says_for_each_role(api: Api, role: Role) -> None:
    caller = api if role is Role.ADMIN else await api.as_role(role.value)
    me = await caller.me()
    actor = Actor(UUID(me["tenant_id"]), UUID(me["user_id"]), role)
    wrong = []
    for operation, decision in DECISIONS.items():
        if decision is None:
            continue
        action, resource, owned = decision
        allowed = is_allowed(actor, action, resource, owned=owned, settings=TenantSettings())
        response = await _send(caller, calls(await _records(api))[operation])
        if (response.status_code == 403) == allowed or response.status_code >= 500:
            wrong.append((operation, allowed, response.status_code, response.text[:200]))
    assert wrong == []


async def test_another_tenants_records_are_not_found_on_every_route_that_takes_an_id(api: Api) -> None:
    theirs = await _records(api)
    intruder = await Api.signup(api.client)
    probes = {op: call for op, call in calls(theirs).items() if _names_a_record(call, theirs)}
    probes["listProjects"] = Call("GET", f"/projects?customer_id={theirs.customer}")
    probes["listTasks"] = Call("GET", f"/tasks?project_id={theirs.project}")
    assert len(probes) >= 25
    for operation, call in probes.items():
        response = await _send(intruder, call)
        if operation == "generateInsightsBatch":
            assert response.json()["items"][0]["error"] == "not_found"
            continue
        assert response.status_code == 404, (operation, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    owner_view = await api.get(f"/customers/{theirs.customer}")
    assert owner_view.json()["version"] == 1


def _names_a_record(call: Call, ids: Ids) -> bool:
    text = f"{call.path} {call.json}"
    return any(value in text for value in (ids.customer, ids.project, ids.task, ids.user, ids.interaction))


async def test_no_response_carries_a_password_hash_or_a_secret(api: Api) -> None:
    bodies = []
    for call in calls(await _records(api)).values():
        bodies.append((await _send(api, call)).text)
    bodies.append(
        (
            await api.client.post("/api/v1/auth/refresh", json={"refresh_token": api.tokens["refresh_token"]})
        ).text
    )
    for text in bodies:
        for needle in ("password_hash", "scrypt$", "$argon2", SECRET, PASSWORD):
            assert needle not in text


async def test_every_response_carries_the_security_headers(api: Api) -> None:
    for response in (
        await api.get("/customers"),
        await api.client.get("/api/v1/nowhere"),
        await api.client.get("/health/live"),
        await api.client.get("/api/v1/customers"),
    ):
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "no-referrer"


async def test_cors_is_closed_by_default(api: Api) -> None:
    preflight = await api.client.options(
        "/api/v1/customers",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = await api.get("/customers", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


async def test_a_foreign_host_header_is_refused(api: Api) -> None:
    response = await api.get("/customers", headers={"Host": "attacker.example"})
    assert response.status_code == 400
    assert response.json()["type"] == "https://lana.dev/problems/invalid-host"


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "LOCALHOST", "testserver.local:443"])
async def test_an_allowed_host_is_served_whatever_its_port_and_case(api: Api, host: str) -> None:
    # `lana serve` prints http://127.0.0.1:8000: curl and browsers send the port in Host.
    response = await api.get("/customers", headers={"Host": host})
    assert response.status_code == 200, response.text


async def test_an_agent_cannot_hand_a_customer_to_someone_else(api: Api) -> None:
    agent = await api.as_role("agent")
    admin_id = (await api.me())["user_id"]
    refused = await agent.post("/customers", json={"name": "Mine", "owner_id": admin_id})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "owner_id"
    own = await agent.customer(name="Mine")
    assert own["owner_id"] == (await agent.me())["user_id"]
    moved = await agent.patch(
        f"/customers/{own['id']}", json={"owner_id": admin_id}, headers={"If-Match": '"1"'}
    )
    assert moved.status_code == 422
    assert (await agent.get(f"/customers/{own['id']}")).json()["owner_id"] == own["owner_id"]


async def test_metrics_are_not_served_on_the_api_port_without_a_metrics_token(api: Api) -> None:
    await api.customer()
    for headers in ({}, api.headers, {"Authorization": "Bearer "}):
        response = await api.client.get("/metrics", headers=headers)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "lana_http_requests_total" not in response.text
