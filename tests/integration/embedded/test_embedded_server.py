"""Embedded mode: with nothing configured, committed events reach the live stream in-process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from lana_adapters.container import Container, start, stop
from lana_adapters.settings import Settings
from lana_core.usecases.customers import CreateCustomer
from lana_core.usecases.tenants import CreateTenant
from lana_http.app import create_app
from tests.support import FAST_HASHER


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("LANA_BROKER_URL", raising=False)
    return Settings.from_env({"LANA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'lana.db'}"})


async def test_a_created_customer_reaches_its_tenants_watchers_and_no_other(settings: Settings) -> None:
    container = Container()
    container.settings.override(providers.Object(settings))
    container.hasher.override(providers.Object(FAST_HASHER))
    services = await start(container)
    try:
        lana = services.lana
        _, acme = await lana.create_tenant(_tenant("acme"))
        _, globex = await lana.create_tenant(_tenant("globex"))
        async with (
            services.event_stream.subscribe(acme.tenant_id) as mine,
            services.event_stream.subscribe(globex.tenant_id) as theirs,
        ):
            customer = await lana.create_customer(acme, CreateCustomer(name="Ada"))
            event = await asyncio.wait_for(_next_of_type(mine, "customer.created"), timeout=10)
            assert event.aggregate_id == customer.id
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(_next_of_type(theirs, "customer.created"), timeout=0.5)
    finally:
        await stop(container)


async def _next_of_type(subscription: object, event_type: str) -> object:
    async for event in subscription:  # type: ignore[attr-defined]
        if event.type == event_type:
            return event
    raise AssertionError("the stream ended")


def _tenant(slug: str) -> CreateTenant:
    return CreateTenant(
        slug=slug,
        name=slug.title(),
        admin_email=f"admin@{slug}.test",
        admin_name="Admin",
        admin_password="a long enough password",
    )


async def test_the_app_on_embedded_defaults_is_ready(settings: Settings) -> None:
    container = Container()
    container.settings.override(providers.Object(settings))
    async with AsyncTestClient(create_app(container), base_url="http://localhost") as client:
        response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"
