"""Liveness and readiness."""

from __future__ import annotations

from dependency_injector import providers
from litestar.testing import AsyncTestClient

from lana_adapters.container import AlwaysReady, Database
from lana_core.errors import Unavailable
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore, InMemoryUnitOfWorkFactory
from lana_core.system import SystemClock
from lana_http import create_app
from tests.e2e.conftest import http_settings, make_container


class _DownProbe:
    name = "database"
    required = True

    async def check(self) -> None:
        raise Unavailable("connection refused")


class _DownCache:
    name = "redis"
    required = False

    async def check(self) -> None:
        raise Unavailable("connection refused")


async def test_live_and_ready_answer_without_a_token(client: AsyncTestClient) -> None:  # type: ignore[type-arg]
    live = await client.get("/health/live")
    ready = await client.get("/health/ready")
    assert live.status_code == 200
    assert live.json()["status"] == "ok"
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok"}}


async def test_ready_is_503_naming_the_adapter_that_is_down(database_url: str) -> None:
    container = make_container(database_url)
    store = InMemoryStore()
    down = Database(
        uow=InMemoryUnitOfWorkFactory(store),
        probe=_DownProbe(),
        relay_store=InMemoryOutboxRelayStore(store, SystemClock()),
    )
    container.database.override(providers.Object(down))
    async with AsyncTestClient(create_app(container, http_settings())) as client:
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert "database" in problem["detail"]
        assert problem["errors"][0]["field"] == "database"
        assert (await client.get("/health/live")).status_code == 200


async def test_ready_is_degraded_not_down_when_an_optional_adapter_is_down(database_url: str) -> None:
    container = make_container(database_url)
    container.probes.override(providers.Object((AlwaysReady("database"), _DownCache())))
    async with AsyncTestClient(create_app(container, http_settings())) as client:
        response = await client.get("/health/ready")
        assert response.status_code == 200
        assert response.json() == {
            "status": "degraded",
            "checks": {"database": "ok", "redis": "Unavailable"},
        }
