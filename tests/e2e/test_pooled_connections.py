"""Failed requests never hand one tenant's scope to another: on a pool of one database
connection, every request after a failure still sees exactly its own tenant's rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lana_adapters.settings import Settings
from lana_http import create_app
from tests.e2e.api import PREFIX, Api
from tests.e2e.conftest import http_settings, make_container
from tests.support import PASSWORD

Failure = Callable[[AsyncTestClient[Litestar], Api], Awaitable[httpx.Response]]


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = Settings.from_env(
        {"LANA_DATABASE_URL": database_url, "LANA_DATABASE_POOL_SIZE": "1", "LANA_DATABASE_MAX_OVERFLOW": "0"}
    )
    async with AsyncTestClient(create_app(make_container(settings), http_settings())) as client:
        yield client


async def _sign_in_to_a_tenant_with_a_nul(client: AsyncTestClient[Litestar], _: Api) -> httpx.Response:
    body = {"tenant": "default\u0000", "email": "a@b.c", "password": "x"}
    return await client.post(f"{PREFIX}/auth/login", json=body)


async def _create_with_a_taken_email(_: AsyncTestClient[Litestar], api: Api) -> httpx.Response:
    await api.post("/customers", json={"name": "First", "email": "taken@example.com"})
    return await api.post("/customers", json={"name": "Second", "email": "taken@example.com"})


async def _search_for_a_nul(_: AsyncTestClient[Litestar], api: Api) -> httpx.Response:
    return await api.get("/customers", params={"q": "a\u0000b"})


FAILURES = [_sign_in_to_a_tenant_with_a_nul, _create_with_a_taken_email, _search_for_a_nul]


async def _sees_only_its_own(api: Api, own: str, other: str) -> None:
    assert (await api.get(f"/customers/{own}")).status_code == 200
    assert (await api.get(f"/customers/{other}")).status_code == 404
    listed = [item["id"] for item in (await api.get("/customers")).json()["items"]]
    assert own in listed
    assert other not in listed
    created = await api.post("/customers", json={"name": "Written after the failure"})
    assert created.status_code == 201, created.text
    signed_in = await api.client.post(
        f"{PREFIX}/auth/login", json={"tenant": api.slug, "email": api.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text


@pytest.mark.parametrize("failure", FAILURES, ids=lambda f: f.__name__.strip("_"))
async def test_after_a_failed_request_each_tenant_sees_exactly_its_own_rows(
    client: AsyncTestClient[Litestar],
    failure: Failure,
) -> None:
    acme, globex = await Api.signup(client), await Api.signup(client)
    acmes = (await acme.post("/customers", json={"name": "Acme's"})).json()["id"]
    globexs = (await globex.post("/customers", json={"name": "Globex's"})).json()["id"]
    await _sees_only_its_own(globex, globexs, acmes)

    failed = await failure(client, acme)

    assert 400 <= failed.status_code < 500, failed.text
    await _sees_only_its_own(globex, globexs, acmes)
    await _sees_only_its_own(acme, acmes, globexs)
    await _sees_only_its_own(globex, globexs, acmes)
