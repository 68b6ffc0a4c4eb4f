"""Rate limits per client, per tenant and per sign-in account: 429 with Retry-After and RateLimit headers."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from lana_http import create_app
from tests.e2e.api import PREFIX, Api
from tests.e2e.conftest import http_settings, make_container
from tests.support import PASSWORD


async def test_a_client_over_its_budget_gets_429_with_retry_after(database_url: str) -> None:
    app = create_app(make_container(database_url), http_settings(rate_limit_per_minute=8))
    async with AsyncTestClient(app) as client:
        api = await Api.signup(client)
        statuses = [(await api.get("/customers")).status_code for _ in range(10)]
        assert statuses.count(200) == 6
        assert statuses[-1] == 429
        refused = await api.get("/customers")
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["ratelimit-limit"] == "8"
        assert refused.headers["ratelimit-remaining"] == "0"
        assert (await client.get("/health/live")).status_code == 200


async def test_a_tenant_over_its_budget_gets_429_whoever_asks(database_url: str) -> None:
    app = create_app(make_container(database_url), http_settings(tenant_rate_limit_per_minute=5))
    async with AsyncTestClient(app) as client:
        admin = await Api.signup(client)
        viewer = await admin.as_role("viewer")
        statuses = [(await admin.get("/customers")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 200]
        assert (await viewer.get("/customers")).status_code == 429
        neighbour = await Api.signup(client)
        assert (await neighbour.get("/customers")).status_code == 200


async def test_a_limit_set_to_zero_is_off_and_the_other_still_counts(database_url: str) -> None:
    settings = http_settings(rate_limit_per_minute=0, tenant_rate_limit_per_minute=3)
    app = create_app(make_container(database_url), settings)
    async with AsyncTestClient(app) as client:
        api = await Api.signup(client)
        answers = [await api.get("/customers") for _ in range(4)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
        assert not any("ratelimit-remaining" in answer.headers for answer in answers[:3])

    app = create_app(make_container(database_url), http_settings(tenant_rate_limit_per_minute=0))
    async with AsyncTestClient(app) as client:
        api = await Api.signup(client)
        assert {(await api.get("/customers")).status_code for _ in range(12)} == {200}


async def test_sign_in_is_limited_per_account(database_url: str) -> None:
    app = create_app(make_container(database_url), http_settings(login_rate_limit_per_minute=3))
    async with AsyncTestClient(app) as client:
        api = await Api.signup(client)  # its sign-in is the account's first attempt
        wrong = {"tenant": api.slug, "email": api.email, "password": "not the password"}
        statuses = [(await client.post(f"{PREFIX}/auth/login", json=wrong)).status_code for _ in range(2)]
        assert statuses == [401, 401]
        right = {"tenant": api.slug, "email": api.email, "password": PASSWORD}
        refused = await client.post(f"{PREFIX}/auth/login", json=right)
        assert refused.status_code == 429
        assert "retry-after" in refused.headers


async def test_sign_in_is_limited_per_client_address(database_url: str) -> None:
    app = create_app(make_container(database_url), http_settings(login_ip_rate_limit_per_minute=4))
    async with AsyncTestClient(app) as client:
        statuses = [
            (
                await client.post(
                    f"{PREFIX}/auth/login", json={"tenant": "t", "email": f"u{i}@x.io", "password": "p"}
                )
            ).status_code
            for i in range(5)
        ]
        assert statuses == [401, 401, 401, 401, 429]


async def test_responses_advertise_the_remaining_budget(api: Api) -> None:
    first = await api.get("/customers")
    second = await api.get("/customers")
    assert int(second.headers["ratelimit-remaining"]) == int(first.headers["ratelimit-remaining"]) - 1
    assert "ratelimit-reset" in first.headers
    assert first.headers["ratelimit-policy"].endswith(";w=60")
