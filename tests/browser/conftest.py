"""A real Chromium (Debian's package) driving the web app served by uvicorn on loopback.

Each test gets a fresh browser context (no cookies) whose console errors, failed page
scripts and requests to any other origin are collected and must be none. The tests skip
when /usr/bin/chromium is missing (``apt-get install chromium chromium-driver``);
under LANA_REQUIRE_SERVICES such a skip is a failure.

Screenshots go to ``LANA_SCREENSHOT_DIR`` (docs/web.md shows those taken into docs/),
or to a temporary directory.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn

from lana_http import create_app
from tests.e2e.api import Api
from tests.e2e.conftest import http_settings, make_container
from tests.integration.redis.servers import free_port
from tests.integration.sql.databases import sqlite_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOT_DIR_ENV = "LANA_SCREENSHOT_DIR"
WAIT_MS = 10_000
_STATUS_REPORT = "Failed to load resource: the server responded with a status of"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The app on a SQLite file, its embedded relay feeding the live event stream."""
    database = sqlite_database(tmp_path_factory.mktemp("web"))
    app = create_app(make_container(database), http_settings())
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    served = uvicorn.Server(config)
    task = asyncio.create_task(served.serve())
    for _ in range(500):
        if served.started:
            break
        await asyncio.sleep(0.02)
    assert served.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    served.should_exit = True
    await task


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chromium() -> AsyncIterator[Any]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 - once per module, before any I/O
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium chromium-driver")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


class Tab:
    """One page in a fresh browser context, with what it logged and requested."""

    def __init__(self, page: Any, base: str, shots: Path) -> None:
        self.page = page
        self.base = base
        self._shots = shots
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("request", self._request)
        page.on("response", self._response)
        page.set_default_timeout(WAIT_MS)

    def _console(self, message: Any) -> None:
        # Chromium reports every answer with an error status this way, including the app's
        # deliberate ones (a 404 page, a form shown again with 422); those are checked by
        # the tests, and failed assets by _response.
        if message.type == "error" and not message.text.startswith(_STATUS_REPORT):
            self.errors.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        deliberate = response.request.resource_type == "document" or response.request.headers.get(
            "hx-request"
        )
        if response.status >= 400 and not deliberate:
            self.errors.append(f"{response.status} for {response.url}")

    def _request(self, request: Any) -> None:
        if not request.url.startswith((self.base, "data:", "about:")):
            self.foreign.append(request.url)

    async def open(self, path: str) -> Any:
        return await self.page.goto(self.base + path, wait_until="load")

    async def sign_in(self, tenant: str, email: str, password: str) -> None:
        await self.open("/login")
        await self.page.get_by_label("Tenant").fill(tenant)
        await self.page.get_by_label("Email").fill(email)
        await self.page.get_by_label("Password").fill(password)
        await self.page.get_by_role("button", name="Sign in").click()
        await self.page.wait_for_url(self.base + "/")

    async def shoot(self, name: str, *, full_page: bool = True) -> None:
        directory = Path(os.environ.get(SCREENSHOT_DIR_ENV) or self._shots)
        os.makedirs(directory, exist_ok=True)
        await self.page.screenshot(path=str(directory / f"{name}.png"), full_page=full_page)


@pytest_asyncio.fixture(loop_scope="module")
async def tab(chromium: Any, server: str, tmp_path: Path) -> AsyncIterator[Tab]:
    context = await chromium.new_context(viewport={"width": 1280, "height": 860}, base_url=server)
    opened = Tab(await context.new_page(), server, tmp_path)
    yield opened
    await context.close()
    assert opened.errors == [], "the pages logged errors"
    assert opened.foreign == [], "the pages requested another origin"


@pytest_asyncio.fixture(loop_scope="module")
async def api(server: str) -> AsyncIterator[Api]:
    """The admin of a fresh tenant, over the API of the same server."""
    async with httpx.AsyncClient(base_url=server, timeout=WAIT_MS / 1000) as client:
        yield await Api.signup(client)  # type: ignore[arg-type]
