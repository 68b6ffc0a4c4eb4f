"""The web app over the real ASGI app and adapters (the e2e tier's fixtures)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.e2e.api import Api
from tests.e2e.conftest import api, app, client, database_url, settings  # noqa: F401 - fixtures
from tests.web.pages import Pages


@pytest.fixture
async def pages(client: AsyncTestClient[Litestar]) -> Pages:  # noqa: F811 - the fixture above
    return Pages(client)


@pytest.fixture
async def signed_in(pages: Pages, api: Api) -> Pages:  # noqa: F811
    """A browser signed in as the admin of a fresh tenant."""
    response = await pages.sign_in(api.slug, api.email)
    assert response.status_code == 303, response.text
    return pages
