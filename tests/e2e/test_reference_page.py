"""The API reference page at /schema works offline: everything it loads comes from this server."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lana_http.reference import SCALAR_DIRECTORY

# What each kind of asset the page loads must be served as.
CONTENT_TYPES = {".js": ("text/javascript", "application/javascript"), ".json": ("application/",)}


class _Urls(HTMLParser):
    """Every URL an element of a page names: src, href, and Scalar's data-url."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in {"src", "href", "data-url"} and value]


def urls_of(page: str) -> list[str]:
    parser = _Urls()
    parser.feed(page)
    return parser.found


@pytest.fixture
async def page(client: AsyncTestClient[Litestar]) -> str:
    response = await client.get("/schema")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


async def test_the_reference_page_names_only_urls_of_this_server(page: str) -> None:
    urls = urls_of(page)
    assert any(url.endswith(".js") for url in urls)
    assert "/schema/openapi.json" in urls
    for url in urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), url
        assert url.startswith("/"), url
    assert "cdn" not in page
    assert "https://" not in page


async def test_every_asset_of_the_reference_page_is_served_as_what_it_is(
    client: AsyncTestClient[Litestar], page: str
) -> None:
    for url in urls_of(page):
        response = await client.get(url)
        assert response.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert response.headers["content-type"].startswith(CONTENT_TYPES[suffix]), url
        assert response.content


async def test_the_reference_page_may_load_nothing_from_elsewhere(client: AsyncTestClient[Litestar]) -> None:
    policy = (await client.get("/schema")).headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no CDN, and no inline script
    assert "http" not in policy


def test_the_vendored_script_ships_with_its_licence() -> None:
    assert (SCALAR_DIRECTORY / "standalone.js").stat().st_size > 0
    assert (SCALAR_DIRECTORY / "LICENSE").read_text().startswith("MIT License")
