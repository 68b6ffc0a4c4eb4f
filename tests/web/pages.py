"""A browser-like client of the web app for HTTP-level tests: keeps cookies, reads CSRF
tokens out of pages, and sends forms as a browser does."""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support import PASSWORD

_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
HTML = {"Accept": "text/html,application/xhtml+xml"}


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


class Pages:
    """One browser of the web app; ``client`` keeps its cookies."""

    def __init__(self, client: AsyncTestClient[Litestar]) -> None:
        self.client = client
        self.csrf = ""

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**HTML, **kwargs.pop("headers", {})}
        response = await self.client.get(path, headers=headers, follow_redirects=False, **kwargs)
        if 'name="_csrf"' in response.text:
            self.csrf = csrf_of(response.text)
        return response

    async def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        form = {"_csrf": self.csrf, **(data or {})}
        headers = {**HTML, **kwargs.pop("headers", {})}
        return await self.client.post(path, data=form, headers=headers, follow_redirects=False, **kwargs)

    async def sign_in(self, tenant: str, email: str, password: str = PASSWORD) -> httpx.Response:
        await self.get("/login")
        return await self.post("/login", {"tenant": tenant, "email": email, "password": password})
