"""What an access token acts as is decided by the stored session and user on every request:
deactivation, a new role, a password change and a replayed refresh token apply to the next
request, in every process, with Redis and without; signed claims alone grant nothing.

Each test runs two apps on one database (two server processes, or a server and a CLI
command): the change goes through one, the next request through the other.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import jwt
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lana_adapters.settings import Settings
from lana_http import create_app
from lana_http.cli import cli
from tests.e2e.api import PREFIX, Api
from tests.e2e.conftest import SECRET, http_settings, make_container
from tests.integration.redis.servers import REDIS_ENV, delete_prefixed, unique_prefix
from tests.integration.sql.databases import postgres_database, sqlite_database
from tests.support import PASSWORD

NEW_PASSWORD = "another long passphrase"
STACKS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("sqlite+redis", marks=pytest.mark.redis),
    pytest.param("postgres+redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
]


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
    first = AsyncTestClient(create_app(make_container(settings), http_settings()))
    second = AsyncTestClient(create_app(make_container(settings), http_settings()))
    async with first, second:
        yield first, second


async def _on(client: AsyncTestClient[Litestar], api: Api) -> Api:
    return Api(client, api.slug, api.email, api.tokens)


async def _member(admin: Api, role: str) -> Api:
    member = await admin.as_role(role)
    assert (await member.get("/customers")).status_code == 200  # resolved and cached, if cached
    return member


async def test_a_deactivated_users_token_is_refused_on_its_next_request(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    here, there = clients
    admin = await Api.signup(here)
    agent = await _member(admin, "agent")
    user_id = (await agent.me())["user_id"]

    assert (await (await _on(there, admin)).post(f"/users/{user_id}/deactivate")).status_code == 200

    assert (await agent.get("/customers")).status_code == 401
    assert (await agent.post("/customers", json={"name": "Still here?"})).status_code == 401
    refreshed = await here.post(
        f"{PREFIX}/auth/refresh", json={"refresh_token": agent.tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401


async def test_a_new_role_applies_from_the_next_request(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    here, there = clients
    admin = await Api.signup(here)
    manager = await _member(admin, "manager")
    user_id = (await manager.me())["user_id"]
    assert (await manager.post("/customers", json={"name": "Allowed"})).status_code == 201

    changed = await (await _on(there, admin)).post(f"/users/{user_id}/role", json={"role": "viewer"})

    assert changed.status_code == 200, changed.text
    assert (await manager.me())["role"] == "viewer"
    assert (await manager.post("/customers", json={"name": "Refused"})).status_code == 403


async def test_a_password_change_ends_every_other_session_at_once(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    here, there = clients
    admin = await Api.signup(here)
    agent = await _member(admin, "agent")
    on_a_laptop = await Api.login(there, agent.slug, agent.email)
    assert (await on_a_laptop.get("/customers")).status_code == 200

    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert (await agent.post("/auth/password", json=body)).status_code == 204

    assert (await agent.get("/customers")).status_code == 200
    assert (await on_a_laptop.get("/customers")).status_code == 401
    stale = await there.post(
        f"{PREFIX}/auth/refresh", json={"refresh_token": on_a_laptop.tokens["refresh_token"]}
    )
    assert stale.status_code == 401
    old = {"tenant": agent.slug, "email": agent.email, "password": PASSWORD}
    assert (await there.post(f"{PREFIX}/auth/login", json=old)).status_code == 401
    new = {**old, "password": NEW_PASSWORD}
    assert (await there.post(f"{PREFIX}/auth/login", json=new)).status_code == 200


async def test_a_password_an_admin_resets_ends_every_session_of_the_user_at_once(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    here, there = clients
    admin = await Api.signup(here)
    agent = await _member(admin, "agent")
    on_a_laptop = await Api.login(there, agent.slug, agent.email)
    user_id = (await agent.me())["user_id"]

    body = {"new_password": NEW_PASSWORD}
    reset = await (await _on(there, admin)).post(f"/users/{user_id}/password", json=body)

    assert reset.status_code == 200, reset.text
    assert reset.headers["etag"] == '"2"'
    for session in (agent, on_a_laptop):
        assert (await session.get("/customers")).status_code == 401
    await _signs_in_only_with(here, agent, NEW_PASSWORD)


async def test_a_password_the_operator_resets_from_the_command_line_ends_the_users_sessions(
    settings: Settings, clients: tuple[AsyncTestClient[Litestar], ...]
) -> None:
    here, _ = clients
    admin = await Api.signup(here)
    agent = await _member(admin, "agent")
    assert (await admin.get("/customers")).status_code == 200

    env = {"LANA_DATABASE_URL": settings.database.url, "LANA_REDIS_URL": settings.redis.url or ""}
    as_admin = ["--tenant", admin.slug, "--email", admin.email]
    reset = ["users", "reset-password", *as_admin, "--password-stdin"]
    result = await asyncio.to_thread(CliRunner().invoke, cli, reset, env=env, input=f"{NEW_PASSWORD}\n")

    assert result.exit_code == 0, (result.output, result.stderr)
    assert (await admin.get("/customers")).status_code == 401
    assert (await agent.get("/customers")).status_code == 200  # only that user's sessions end
    # The command hashes as a deployment does (argon2), not as these apps do: it checks the new password.
    listed = ["users", "list", "--tenant", admin.slug, "--admin-email", admin.email]
    env["LANA_ADMIN_PASSWORD"] = NEW_PASSWORD
    assert (await asyncio.to_thread(CliRunner().invoke, cli, listed, env=env)).exit_code == 0


async def _signs_in_only_with(client: AsyncTestClient[Litestar], user: Api, password: str) -> None:
    old = {"tenant": user.slug, "email": user.email, "password": PASSWORD}
    assert (await client.post(f"{PREFIX}/auth/login", json=old)).status_code == 401
    new = {**old, "password": password}
    assert (await client.post(f"{PREFIX}/auth/login", json=new)).status_code == 200


async def test_a_wrong_current_password_changes_nothing(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    here, _ = clients
    admin = await Api.signup(here)

    body = {"current_password": "not the password", "new_password": NEW_PASSWORD}
    response = await admin.post("/auth/password", json=body)

    assert response.status_code == 401
    assert (await admin.get("/customers")).status_code == 200
    await Api.login(here, admin.slug, admin.email)


async def test_a_replayed_refresh_token_ends_the_live_access_token_too(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    here, there = clients
    victim = await Api.signup(here)
    stolen = victim.tokens["refresh_token"]
    renewed = await here.post(f"{PREFIX}/auth/refresh", json={"refresh_token": stolen})
    assert renewed.status_code == 200
    victim.tokens = renewed.json()
    assert (await victim.get("/customers")).status_code == 200

    replayed = await there.post(f"{PREFIX}/auth/refresh", json={"refresh_token": stolen})

    assert replayed.status_code == 401
    assert (await victim.get("/customers")).status_code == 401
    assert (await (await _on(there, victim)).get("/customers")).status_code == 401
    again = await here.post(f"{PREFIX}/auth/refresh", json={"refresh_token": victim.tokens["refresh_token"]})
    assert again.status_code == 401


async def test_signing_out_ends_the_session_in_every_process(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    here, there = clients
    admin = await Api.signup(here)
    assert (await (await _on(there, admin)).get("/customers")).status_code == 200

    logout = await admin.post("/auth/logout", json={})

    assert logout.status_code == 204
    assert (await (await _on(there, admin)).get("/customers")).status_code == 401


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _signed(claims: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}


async def test_signed_claims_grant_nothing_the_stored_data_does_not(
    clients: tuple[AsyncTestClient[Litestar], ...],
) -> None:
    here, _ = clients
    acme, globex = await Api.signup(here), await Api.signup(here)
    await globex.customer()
    viewer = await _member(acme, "viewer")
    admins = _claims(acme.tokens["access_token"])
    globex_tenant = _claims(globex.tokens["access_token"])["tenant"]

    forged = {
        "another tenant": {**admins, "tenant": globex_tenant},
        "an unknown subject": {**admins, "sub": str(uuid4())},
        "another tenant's session": {**admins, "sid": _claims(globex.tokens["access_token"])["sid"]},
    }
    for what, claims in forged.items():
        response = await here.get(f"{PREFIX}/customers", headers=_signed(claims))
        assert response.status_code == 401, what

    promoted = _signed({**_claims(viewer.tokens["access_token"]), "role": "admin"})
    me = await here.get(f"{PREFIX}/auth/me", headers=promoted)
    assert me.json()["role"] == "viewer"
    body = {"email": f"x-{uuid4().hex[:6]}@example.com", "name": "X", "role": "admin", "password": PASSWORD}
    assert (await here.post(f"{PREFIX}/users", json=body, headers=promoted)).status_code == 403
