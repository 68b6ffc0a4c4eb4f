"""The real ASGI app over real adapters: SQLite in a temporary directory, and PostgreSQL when
``LANA_TEST_POSTGRES_URL`` is set."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lana_adapters.container import Container
from lana_adapters.settings import Settings
from lana_http import create_app
from lana_http.settings import HttpSettings
from tests.e2e.api import Api
from tests.integration.sql.databases import postgres_database, sqlite_database
from tests.support import FAST_HASHER

POSTGRES_ENV = "LANA_TEST_POSTGRES_URL"
SECRET = "e2e-signing-secret-that-is-long-enough-for-hs256"


def http_settings(**overrides: object) -> HttpSettings:
    """Settings for tests: signup on, limits high enough not to interfere unless a test lowers them."""
    values: dict[str, object] = {
        "jwt_secret": SECRET,
        "allowed_hosts": ("testserver.local", "localhost", "127.0.0.1"),
        "allow_signup": True,
        "rate_limit_per_minute": 100_000,
        "tenant_rate_limit_per_minute": 100_000,
        "login_rate_limit_per_minute": 1_000,
        "login_ip_rate_limit_per_minute": 1_000,
    }
    values.update(overrides)
    return HttpSettings(**values)  # type: ignore[arg-type]


def make_container(settings: str | Settings, *, embedded_relay: bool = True) -> Container:
    """A container on ``settings`` (or on a database URL alone) with a fast password hasher;
    without ``embedded_relay``, the test relays or publishes the outbox itself."""
    container = Container()
    if isinstance(settings, str):
        settings = Settings.from_env({"LANA_DATABASE_URL": settings})
    container.settings.override(providers.Object(settings))
    container.hasher.override(providers.Object(FAST_HASHER))
    if not embedded_relay:
        container.embedded_relay.override(providers.Object(None))
    return container


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        if not os.environ.get(POSTGRES_ENV):
            pytest.skip(f"set {POSTGRES_ENV} to run the HTTP tests on PostgreSQL")
        return postgres_database()
    # A copy of a file migrated once per session: start-up finds the schema in place.
    return sqlite_database(tmp_path)


@pytest.fixture
def settings() -> HttpSettings:
    return http_settings()


@pytest.fixture
def app(database_url: str, settings: HttpSettings) -> Litestar:
    return create_app(make_container(database_url), settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app) as client:
        yield client


@pytest.fixture
async def api(client: AsyncTestClient[Litestar]) -> Api:
    return await Api.signup(client)
