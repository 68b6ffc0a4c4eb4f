"""Errors as pages: a dependency that is down says so in the app's layout."""

from __future__ import annotations

from uuid import UUID

from dependency_injector import providers
from litestar.testing import AsyncTestClient

from lana_adapters.container import AlwaysReady, Database
from lana_core.errors import Unavailable
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore, InMemoryUnitOfWorkFactory
from lana_core.ports import UnitOfWork
from lana_core.system import SystemClock
from lana_http import create_app
from tests.e2e.api import Api
from tests.e2e.conftest import http_settings, make_container
from tests.web.pages import Pages


class SwitchableDatabase:
    """Units of work on an in-memory store, until the database is 'down'."""

    def __init__(self, store: InMemoryStore) -> None:
        self._inner = InMemoryUnitOfWorkFactory(store)
        self.down = False

    def __call__(self, tenant_id: UUID) -> UnitOfWork:
        if self.down:
            raise Unavailable("connection refused")
        return self._inner(tenant_id)


async def test_a_database_that_is_down_is_a_503_page_saying_so() -> None:
    store = InMemoryStore()
    database = SwitchableDatabase(store)
    container = make_container("memory://")
    container.database.override(
        providers.Object(
            Database(
                uow=database,
                probe=AlwaysReady("database"),
                relay_store=InMemoryOutboxRelayStore(store, SystemClock()),
            )
        )
    )
    async with AsyncTestClient(create_app(container, http_settings())) as client:
        api = await Api.signup(client)
        pages = Pages(client)
        await pages.sign_in(api.slug, api.email)
        assert (await pages.get("/customers")).status_code == 200

        database.down = True
        response = await pages.get("/customers")

    assert response.status_code == 503
    assert "<title>A service Lana depends on is unavailable · Lana</title>" in response.text
    assert "connection refused" not in response.text
