"""Every error is an RFC 9457 problem; bad input is never a 500; read-only fields are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lana_core.ports import CacheKey
from lana_http import create_app
from tests.e2e.api import Api
from tests.e2e.conftest import http_settings, make_container

T = TypeVar("T")
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"].startswith("https://lana.dev/problems/")
    return body


async def test_unknown_routes_and_methods_are_problems(api: Api) -> None:
    assert_problem(await api.get("/no/such/route"), 404)
    assert_problem(await api.client.get("/nothing-here"), 404)
    not_allowed = assert_problem(await api.request("PUT", "/customers"), 405)
    assert not_allowed["type"].endswith("/method-not-allowed")


async def test_a_malformed_body_is_a_400_problem(api: Api) -> None:
    body = assert_problem(
        await api.post("/customers", content=b"{not json", headers={"Content-Type": "application/json"}), 400
    )
    assert body["code"] == "bad_request"


async def test_a_wrongly_typed_field_names_the_field(api: Api) -> None:
    body = assert_problem(await api.post("/customers", json={"name": 42}), 400)
    assert body["errors"][0]["field"] == "name"


async def test_a_missing_required_field_names_the_field(api: Api) -> None:
    body = assert_problem(await api.post("/customers", json={"email": "a@example.com"}), 400)
    assert body["errors"] == [
        {"field": "name", "code": "required", "message": "Object missing required field `name`"}
    ]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/customers", {"name": "A", "id": "01890000-0000-7000-8000-000000000000"}),
        ("POST", "/customers", {"name": "A", "tenant_id": "01890000-0000-7000-8000-000000000000"}),
        ("POST", "/customers", {"name": "A", "version": 7}),
        ("POST", "/customers", {"name": "A", "created_at": "2020-01-01T00:00:00Z"}),
        ("POST", "/customers", {"name": "A", "archived_at": "2020-01-01T00:00:00Z"}),
        ("PATCH", "/customers/{customer}", {"status": "active"}),
        ("PATCH", "/customers/{customer}", {"version": 9}),
        ("PATCH", "/customers/{customer}", {"value": "high"}),
        ("POST", "/projects", {"customer_id": "{customer}", "title": "P", "created_by": "{customer}"}),
        ("POST", "/projects", {"customer_id": "{customer}", "title": "P", "status": "done"}),
        ("POST", "/tasks", {"project_id": "{project}", "title": "T", "completed": True}),
        (
            "POST",
            "/users",
            {
                "email": "x@example.com",
                "name": "X",
                "role": "viewer",
                "password": "long enough pw",
                "password_hash": "x",
            },
        ),
        (
            "POST",
            "/users",
            {
                "email": "x@example.com",
                "name": "X",
                "role": "viewer",
                "password": "long enough pw",
                "active": False,
            },
        ),
        (
            "PUT",
            "/tenant/settings",
            {
                "agents_see_only_own_customers": True,
                "insight_max_age_seconds": 1,
                "daily_model_call_budget": 1,
                "slug": "x",
            },
        ),
        ("POST", "/analytics/events", {"name": "e", "tenant_id": "01890000-0000-7000-8000-000000000000"}),
        (
            "POST",
            "/customers/{customer}/interactions",
            {"type": "note", "subject": "s", "author_id": "{customer}"},
        ),
    ],
)
async def test_read_only_and_unknown_fields_are_refused_and_nothing_changes(
    api: Api, method: str, path: str, body: dict[str, Any]
) -> None:
    customer = await api.customer()
    project = await api.project(customer["id"])

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{customer}", customer["id"]).replace("{project}", project["id"])
        return value

    sent = {key: fill(value) for key, value in body.items()}
    response = await api.request(method, fill(path), json=sent, headers={"If-Match": "*"})
    problem = assert_problem(response, 400)
    assert problem["errors"][0]["code"] == "unknown_field"
    after = (await api.get(f"/customers/{customer['id']}")).json()
    assert after["version"] == 1
    assert after["status"] == "prospect"


async def test_an_oversized_body_is_a_413_problem(database_url: str) -> None:
    app = create_app(make_container(database_url), http_settings(max_body_bytes=2_000))
    async with AsyncTestClient(app) as client:
        api = await Api.signup(client)
        huge = {"name": "A", "notes": "x" * 5_000}
        assert_problem(await api.post("/customers", json=huge), 413)
        keyed = await api.post("/customers", json=huge, headers={"Idempotency-Key": "big-one"})
        assert_problem(keyed, 413)
        assert (await api.get("/customers")).json()["items"] == []


async def test_invalid_path_parameters_are_problems_not_crashes(api: Api) -> None:
    for path in ("/customers/not-a-uuid", "/projects/123", "/tasks/%00/complete"):
        response = await api.get(path) if "complete" not in path else await api.post(path)
        assert 400 <= response.status_code < 500
        assert response.headers["content-type"] == "application/problem+json"


class _BrokenCache:
    """A cache with a bug: every read blows up with a message that must not leak."""

    async def get_or_compute(
        self, key: CacheKey, kind: type[T], compute: Callable[[], Awaitable[T]], ttl_seconds: float
    ) -> T:
        raise RuntimeError("secret internal detail")

    async def invalidate(self, tenant_id: UUID, namespaces: Sequence[str]) -> None:
        return None


@pytest.fixture
async def broken_client(database_url: str) -> AsyncIterator[AsyncTestClient[Litestar]]:
    container = make_container(database_url)
    container.cache.override(providers.Object(_BrokenCache()))
    async with AsyncTestClient(create_app(container, http_settings())) as client:
        yield client


async def test_an_unexpected_failure_is_a_500_problem_without_details(
    broken_client: AsyncTestClient[Litestar],
) -> None:
    api = await Api.signup(broken_client)
    body = assert_problem(await api.get("/analytics/dashboard"), 500)
    assert body["detail"] == "an unexpected error occurred"
    assert "secret" not in str(body)
    assert "Traceback" not in str(body)
