"""A control character in any text is a 4xx naming the field, on SQLite as on PostgreSQL (which
cannot store NUL), and changes nothing; multi-line text keeps its tabs and line breaks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.api import Api
from tests.support import PASSWORD

NUL = "Ada\x00Lovelace"
ANY_VERSION = {"If-Match": "*"}

# (method, path, body, field); "{c}" and "{p}" stand for an existing customer and project.
WRITES: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "customer name": ("POST", "/customers", {"name": NUL}, "name"),
    "customer company": ("POST", "/customers", {"name": "Ada", "company": NUL}, "company"),
    "customer notes": ("PATCH", "/customers/{c}", {"notes": "a\x00b"}, "notes"),
    "customer email": ("POST", "/customers", {"name": "Ada", "email": "a\x00da@example.com"}, "email"),
    "customer name with a newline": ("POST", "/customers", {"name": "Ada\nLovelace"}, "name"),
    "customer attribute": (
        "POST",
        "/customers",
        {"name": "Ada", "attributes": {"plan": NUL}},
        "attributes.plan",
    ),
    "batch customer": ("POST", "/customers/batch", {"customers": [{"name": NUL}]}, "customers[0].name"),
    "project title": ("POST", "/projects", {"customer_id": "{c}", "title": NUL}, "title"),
    "project description": ("PATCH", "/projects/{p}", {"description": "a\x1bb"}, "description"),
    "task description": (
        "POST",
        "/tasks",
        {"project_id": "{p}", "title": "T", "description": NUL},
        "description",
    ),
    "interaction content": (
        "POST",
        "/customers/{c}/interactions",
        {"type": "note", "content": NUL},
        "content",
    ),
    "interaction subject": (
        "POST",
        "/customers/{c}/interactions",
        {"type": "call", "subject": NUL},
        "subject",
    ),
    "user name": (
        "POST",
        "/users",
        {"email": "lin@example.com", "name": NUL, "role": "agent", "password": PASSWORD},
        "name",
    ),
    "event name": ("POST", "/analytics/events", {"name": NUL}, "name"),
    "event property": (
        "POST",
        "/analytics/events",
        {"name": "signup", "properties": {"plan": NUL}},
        "properties.plan",
    ),
    "batch event": (
        "POST",
        "/analytics/events/batch",
        {"events": [{"name": "signup", "user_id": NUL}]},
        "events[0].user_id",
    ),
}


def _filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.replace("{c}", ids["c"]).replace("{p}", ids["p"])
    if isinstance(value, dict):
        return {key: _filled(item, ids) for key, item in value.items()}
    return value


async def _state(api: Api, customer_id: str) -> list[Any]:
    """What a refused write could have changed: every list it writes to."""
    paths = (
        "/customers?archived=include",
        "/projects",
        "/tasks",
        "/users",
        f"/customers/{customer_id}/interactions",
        "/analytics/metrics?timeframe=1h",
    )
    return [(await api.get(path)).json() for path in paths]


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
async def test_a_control_character_in_a_write_is_a_422_naming_the_field(
    api: Api, write: tuple[str, str, dict[str, Any], str]
) -> None:
    method, path, body, field = write
    customer = await api.customer()
    project = await api.project(customer["id"])
    ids = {"c": customer["id"], "p": project["id"]}
    before = await _state(api, customer["id"])

    response = await api.request(method, _filled(path, ids), json=_filled(body, ids), headers=ANY_VERSION)

    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, "invalid_character")]
    assert await _state(api, customer["id"]) == before


async def test_a_tenant_named_with_a_control_character_is_refused(api: Api) -> None:
    body = {
        "slug": "initech",
        "name": NUL,
        "admin_email": "bill@initech.example.com",
        "admin_name": "Bill",
        "admin_password": PASSWORD,
    }
    response = await api.client.post("/api/v1/tenants", json=body)

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "name"
    login = {"tenant": "initech", "email": "bill@initech.example.com", "password": PASSWORD}
    assert (await api.client.post("/api/v1/auth/login", json=login)).status_code == 401


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/customers?q=Ada%00", "q"),
        ("/customers?q=Ada%0A", "q"),
        ("/customers?tag=vip%00", "tag"),
        ("/analytics/users/u%001", "user_id"),
    ],
)
async def test_a_control_character_in_a_filter_is_a_400_naming_the_parameter(
    api: Api, path: str, field: str
) -> None:
    response = await api.get(path)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, "invalid_character")]


async def test_a_control_character_in_a_batch_filter_is_a_400(api: Api) -> None:
    response = await api.post("/insights/batch", json={"filter": {"q": NUL}})

    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["field"] == "filter.q"


async def test_a_sign_in_with_a_control_character_is_an_unknown_account(api: Api) -> None:
    for tenant, email in ((f"{api.slug}\x00", api.email), (api.slug, f"{api.email}\x00")):
        body = {"tenant": tenant, "email": email, "password": PASSWORD}
        response = await api.client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 401, response.text


async def test_multi_line_text_keeps_its_tabs_and_line_breaks(api: Api) -> None:
    notes = "Met at the fair.\r\n\tWants a demo."
    customer = await api.customer(
        name="Ada Lovelace", notes=notes, attributes={"address": "1 Main St\n2nd floor"}
    )

    stored = (await api.get(f"/customers/{customer['id']}")).json()
    found = (await api.get("/customers", params={"q": "lovelace"})).json()["items"]

    assert (stored["notes"], stored["attributes"]) == (notes, {"address": "1 Main St\n2nd floor"})
    assert [c["id"] for c in found] == [customer["id"]]
