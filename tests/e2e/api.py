"""A small client of the API for tests: sign up a tenant, sign in, add users, make records."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.support import PASSWORD

PREFIX = "/api/v1"


class Api:
    """One signed-in user of one tenant; ``as_role`` gives another user of the same tenant."""

    def __init__(
        self, client: AsyncTestClient[Litestar], slug: str, email: str, tokens: dict[str, Any]
    ) -> None:
        self.client = client
        self.slug = slug
        self.email = email
        self.tokens = tokens

    @classmethod
    async def signup(cls, client: AsyncTestClient[Litestar], slug: str | None = None) -> Api:
        slug = slug or f"t-{uuid4().hex[:10]}"
        email = f"admin@{slug}.example.com"
        response = await client.post(
            f"{PREFIX}/tenants",
            json={
                "slug": slug,
                "name": f"{slug} Ltd",
                "admin_email": email,
                "admin_name": "Ada Admin",
                "admin_password": PASSWORD,
            },
        )
        assert response.status_code == 201, response.text
        return await cls.login(client, slug, email)

    @classmethod
    async def login(cls, client: AsyncTestClient[Litestar], slug: str, email: str) -> Api:
        response = await client.post(
            f"{PREFIX}/auth/login", json={"tenant": slug, "email": email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return cls(client, slug, email, response.json())

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}"}

    async def as_role(self, role: str) -> Api:
        email = f"{role}-{uuid4().hex[:8]}@{self.slug}.example.com"
        body = {"email": email, "name": f"{role.title()} User", "role": role, "password": PASSWORD}
        response = await self.post("/users", json=body)
        assert response.status_code == 201, response.text
        return await Api.login(self.client, self.slug, email)

    async def me(self) -> dict[str, Any]:
        response = await self.get("/auth/me")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, f"{PREFIX}{path}", headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    async def customer(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Grace Hopper", **fields}
        response = await self.post("/customers", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def project(self, customer_id: str, **fields: Any) -> dict[str, Any]:
        body = {"customer_id": customer_id, "title": "Migration", **fields}
        response = await self.post("/projects", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def interaction(self, customer_id: str, **fields: Any) -> dict[str, Any]:
        body = {"type": "note", "subject": "Kick-off", **fields}
        response = await self.post(f"/customers/{customer_id}/interactions", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def task(self, project_id: str, **fields: Any) -> dict[str, Any]:
        body = {"project_id": project_id, "title": "Write the plan", **fields}
        response = await self.post("/tasks", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())
