"""API keys over HTTP: a key acts in its role and no higher on every route, is refused on
the request after its revocation or expiry (in every process, with Redis and without),
is shown once, is named by the audit trail, and has its own rate limit."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lana_adapters.settings import Settings
from lana_http import create_app
from tests.e2e.api import PREFIX, Api
from tests.e2e.conftest import http_settings, make_container
from tests.integration.redis.servers import REDIS_ENV, delete_prefixed, unique_prefix
from tests.integration.sql.databases import postgres_database, sqlite_database

STACKS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("sqlite+redis", marks=pytest.mark.redis),
    pytest.param("postgres+redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
]
KEY_LIMIT = 5


@pytest.fixture(params=STACKS)
def settings(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    database, _, cache = str(request.param).partition("+")
    if database == "postgres" and not os.environ.get("LANA_TEST_POSTGRES_URL"):
        pytest.skip("set LANA_TEST_POSTGRES_URL to run the HTTP tests on PostgreSQL")
    if cache and not os.environ.get(REDIS_ENV):
        pytest.skip(f"set {REDIS_ENV} to run the HTTP tests with Redis")
    url = postgres_database() if database == "postgres" else sqlite_database(tmp_path)
    if not cache:
        yield Settings.from_env({"LANA_DATABASE_URL": url})
        return
    prefix = unique_prefix()
    monkeypatch.setenv("LANA_REDIS_KEY_PREFIX", prefix)
    yield Settings.from_env({**os.environ, "LANA_DATABASE_URL": url, "LANA_REDIS_URL": os.environ[REDIS_ENV]})
    delete_prefixed(os.environ[REDIS_ENV], prefix)


@pytest.fixture
async def clients(settings: Settings) -> AsyncIterator[tuple[AsyncTestClient[Litestar], ...]]:
    """Two apps on one database (and one Redis, if any): two processes serving one deployment."""
    limits = http_settings(api_key_rate_limit_per_minute=KEY_LIMIT)
    first = AsyncTestClient(create_app(make_container(settings), limits))
    second = AsyncTestClient(create_app(make_container(settings), limits))
    async with first, second:
        yield first, second


async def _create_key(admin: Api, role: str, **fields: Any) -> dict[str, Any]:
    response = await admin.post("/api-keys", json={"name": f"n8n {role}", "role": role, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _with(
    client: AsyncTestClient[Litestar], token: str, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return await client.request(method, f"{PREFIX}{path}", headers=headers, **kwargs)


def _refused(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_key_acts_in_its_role_and_never_above_it(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    client, _ = clients
    admin = await Api.signup(client)
    agent = (await _create_key(admin, "agent"))["token"]
    viewer = (await _create_key(admin, "viewer"))["token"]

    assert (await _with(client, agent, "POST", "/customers", json={"name": "Initech"})).status_code == 201
    assert (await _with(client, viewer, "GET", "/customers")).status_code == 200
    _refused(await _with(client, viewer, "POST", "/customers", json={"name": "Globex"}), 403)
    _refused(await _with(client, agent, "GET", "/users"), 403)
    _refused(await _with(client, agent, "GET", "/api-keys"), 403)
    _refused(await _with(client, agent, "POST", "/api-keys", json={"name": "x", "role": "admin"}), 403)


async def test_only_admins_manage_keys(clients: tuple[AsyncTestClient[Litestar], ...]) -> None:
    client, _ = clients
    admin = await Api.signup(client)
    manager = await admin.as_role("manager")

    _refused(await manager.post("/api-keys", json={"name": "mine", "role": "viewer"}), 403)
    _refused(await manager.get("/api-keys"), 403)


async def test_a_revoked_key_is_refused_on_the_next_request_in_every_process(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    first, second = clients
    admin = await Api.signup(first)
    created = await _create_key(admin, "manager")
    token = created["token"]
    for client in clients:
        assert (await _with(client, token, "GET", "/customers")).status_code == 200  # cached, if cached

    revoked = await admin.delete(f"/api-keys/{created['key']['id']}")

    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    for client in (second, first):
        _refused(await _with(client, token, "GET", "/customers"), 401)
    _refused(await admin.delete(f"/api-keys/{created['key']['id']}"), 409)


async def test_an_expired_key_is_refused(clients: tuple[AsyncTestClient[Litestar], ...]) -> None:
    client, _ = clients
    admin = await Api.signup(client)
    expires_at = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    token = (await _create_key(admin, "viewer", expires_at=expires_at))["token"]
    assert (await _with(client, token, "GET", "/customers")).status_code == 200

    await asyncio.sleep(2.2)

    _refused(await _with(client, token, "GET", "/customers"), 401)


async def test_an_expiry_in_the_past_is_refused(clients: tuple[AsyncTestClient[Litestar], ...]) -> None:
    client, _ = clients
    admin = await Api.signup(client)

    response = await admin.post(
        "/api-keys", json={"name": "old", "role": "viewer", "expires_at": "2001-01-01T00:00:00Z"}
    )

    _refused(response, 422)
    naive = await admin.post(
        "/api-keys", json={"name": "n", "role": "viewer", "expires_at": "2099-01-01T00:00:00"}
    )
    _refused(naive, 422)


async def test_the_secret_is_shown_once_and_never_again(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    client, _ = clients
    admin = await Api.signup(client)
    created = await _create_key(admin, "agent")
    secret = created["token"].rsplit("_", 1)[-1]

    listed = await admin.get("/api-keys")
    revoked = await admin.delete(f"/api-keys/{created['key']['id']}")

    assert created["token"].startswith("lana_sk_")
    assert [key["id"] for key in listed.json()["items"]] == [created["key"]["id"]]
    for response in (listed, revoked):
        assert secret not in response.text
        assert "token" not in response.text
        assert "secret" not in response.text


async def test_changes_made_with_a_key_name_the_key_in_the_audit_trail(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    client, _ = clients
    admin = await Api.signup(client)
    created = await _create_key(admin, "agent")

    made = await _with(client, created["token"], "POST", "/customers", json={"name": "Initech"})
    timeline = await admin.get(f"/customers/{made.json()['id']}/timeline")

    (entry,) = timeline.json()["items"]
    assert entry["actor_id"] == created["key"]["id"]
    assert entry["api_key"] == {"id": created["key"]["id"], "name": "n8n agent"}
    assert made.json()["owner_id"] == created["key"]["created_by"]


async def test_an_interaction_written_with_a_key_is_attributed_to_the_key(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    client, _ = clients
    admin = await Api.signup(client)
    created = await _create_key(admin, "manager")
    key = {"id": created["key"]["id"], "name": "n8n manager"}
    customer = (await admin.post("/customers", json={"name": "Initech"})).json()["id"]
    by_hand = await admin.post(f"/customers/{customer}/interactions", json={"type": "call", "subject": "Hi"})

    note = {"type": "note", "content": "Written back by the workflow"}
    recorded = await _with(client, created["token"], "POST", f"/customers/{customer}/interactions", json=note)

    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["recorded_by_api_key"] == key
    assert recorded.json()["author_id"] == created["key"]["created_by"]
    read = await admin.get(f"/customers/{customer}/interactions/{recorded.json()['id']}")
    assert read.json()["recorded_by_api_key"] == key
    timeline = (await admin.get(f"/customers/{customer}/timeline")).json()["items"]
    by_interaction = {entry["aggregate_id"]: entry for entry in timeline if entry["kind"] == "interaction"}
    assert by_interaction[recorded.json()["id"]]["api_key"] == key
    assert by_interaction[recorded.json()["id"]]["interaction"]["recorded_by_api_key"] == key
    assert by_interaction[by_hand.json()["id"]]["api_key"] is None
    assert by_hand.json()["recorded_by_api_key"] is None


async def test_a_key_spending_its_minute_gets_429_and_other_keys_do_not(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    client, _ = clients
    admin = await Api.signup(client)
    busy = (await _create_key(admin, "viewer"))["token"]
    other = (await _create_key(admin, "viewer"))["token"]
    for _ in range(KEY_LIMIT):
        assert (await _with(client, busy, "GET", "/customers")).status_code == 200

    response = await _with(client, busy, "GET", "/customers")

    _refused(response, 429)
    assert int(response.headers["retry-after"]) > 0
    assert (await _with(client, other, "GET", "/customers")).status_code == 200
    assert (await admin.get("/customers")).status_code == 200


async def test_a_forged_or_malformed_key_is_refused(clients: tuple[AsyncTestClient[Litestar], ...]) -> None:
    client, _ = clients
    admin = await Api.signup(client)
    token = (await _create_key(admin, "viewer"))["token"]

    for forged in (token[:-3] + "xyz", "lana_sk_", "lana_sk_" + "0" * 32 + "_" + "0" * 32 + "_s"):
        _refused(await _with(client, forged, "GET", "/customers"), 401)
