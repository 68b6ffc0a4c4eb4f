"""Input the API cannot read is a 4xx problem, logged as one line: bodies that are not UTF-8,
nest too deeply or are sent as something other than JSON; and query parameters and body
values are taken as sent, never coerced or ignored."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.testing import AsyncTestClient

from lana_http.parameters import declared_query_parameters
from tests.e2e.api import PREFIX, Api
from tests.e2e.test_errors import assert_problem

JSON = {"Content-Type": "application/json"}
DEEP = b'{"tenant": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"
NOT_UTF8 = b'{"name": "Gr\xe2ce \xff"}'
LOGIN_NOT_UTF8 = b'{"tenant": "acme", "email": "gr\xe2ce@navy.test", "password": "\xff\xfe"}'


async def post_raw(client: AsyncTestClient[Litestar], path: str, body: bytes, headers: dict[str, str]) -> Any:
    return await client.post(f"{PREFIX}{path}", content=body, headers=headers)


def assert_one_quiet_line(caplog: pytest.LogCaptureFixture) -> None:
    """The request left its access line and nothing louder: no error, no stack trace."""
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    assert len([r for r in caplog.records if r.name == "lana.http"]) == 1


@pytest.mark.parametrize(("body", "detail"), [(DEEP, None), (LOGIN_NOT_UTF8, "the body is not valid UTF-8")])
async def test_sign_in_refuses_an_unreadable_body_with_400_and_one_line(
    client: AsyncTestClient[Litestar], caplog: pytest.LogCaptureFixture, body: bytes, detail: str | None
) -> None:
    caplog.set_level(logging.INFO)
    caplog.clear()
    problem = assert_problem(await post_raw(client, "/auth/login", body, JSON), 400)
    assert detail is None or problem["detail"] == detail
    assert_one_quiet_line(caplog)


async def test_json_nested_a_thousand_levels_is_400_on_every_kind_of_body(api: Api) -> None:
    nested = b"[" * 1_000 + b"]" * 1_000
    for path, body in [
        ("/customers", b'{"name": "A", "attributes": {"deep": ' + nested + b"}}"),
        ("/customers", nested),
        ("/analytics/events", b'{"name": "e", "properties": {"p": ' + nested + b"}}"),
        ("/customers/batch", b'{"customers": ' + nested + b"}"),
    ]:
        assert_problem(await api.post(path, content=body, headers=JSON), 400)
    assert (await api.get("/customers")).json()["items"] == []


async def test_a_body_that_is_not_utf8_is_400_and_changes_nothing(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.clear()
    problem = assert_problem(await api.post("/customers", content=NOT_UTF8, headers=JSON), 400)
    assert problem["code"] == "bad_request"
    assert_one_quiet_line(caplog)
    assert (await api.get("/customers")).json()["items"] == []


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", None],
)
async def test_a_json_body_sent_as_another_media_type_is_415(api: Api, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = await api.post("/customers", content=b'{"name": "Grace"}', headers=headers)
    problem = assert_problem(response, 415)
    assert problem["type"].endswith("/unsupported-media-type")
    assert (await api.get("/customers")).json()["items"] == []


async def test_json_with_a_charset_parameter_is_accepted(api: Api) -> None:
    headers = {"Content-Type": "application/json; charset=UTF-8"}
    assert (await api.post("/customers", content=b'{"name": "Grace"}', headers=headers)).status_code == 201


async def test_routes_without_a_body_ignore_the_content_type(api: Api) -> None:
    customer = await api.customer()
    response = await api.post(
        f"/customers/{customer['id']}/insights", content=b"", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200, response.text


SETTINGS = {
    "agents_see_only_own_customers": False,
    "insight_max_age_seconds": 60,
    "daily_model_call_budget": 5,
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("agents_see_only_own_customers", 1),
        ("agents_see_only_own_customers", "true"),
        ("daily_model_call_budget", "5"),
    ],
)
async def test_a_value_of_another_json_type_is_refused_not_coerced(
    api: Api, field: str, value: object
) -> None:
    tenant = await api.get("/tenant")
    response = await api.put("/tenant/settings", json={**SETTINGS, field: value}, headers={"If-Match": "*"})
    problem = assert_problem(response, 400)
    assert problem["errors"][0]["field"] == field
    assert (await api.get("/tenant")).json()["settings"] == tenant.json()["settings"]


async def test_an_unknown_query_parameter_is_400_naming_it(api: Api) -> None:
    await api.customer(attributes={"industry": "shipping"})
    problem = assert_problem(await api.get("/customers", params={"attributes.industry": "retail"}), 400)
    assert problem["errors"] == [
        {
            "field": "attributes.industry",
            "code": "unknown_field",
            "message": "is not a query parameter of this route",
        }
    ]


async def test_a_single_valued_query_parameter_given_twice_is_400(api: Api) -> None:
    problem = assert_problem(await api.get("/customers?limit=5&limit=6"), 400)
    assert problem["errors"] == [
        {"field": "limit", "code": "invalid", "message": "takes one value, not several"}
    ]


async def test_declared_query_parameters_still_filter(api: Api) -> None:
    await api.customer(value="high")
    await api.customer(name="Ada", value="low")
    response = await api.get("/customers", params={"value": "low", "limit": 10})
    assert [c["name"] for c in response.json()["items"]] == ["Ada"]


def test_the_query_parameters_accepted_are_the_ones_the_schema_documents(app: Litestar) -> None:
    document = app.openapi_schema.to_schema()
    documented = {
        operation["operationId"]: {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    accepted = {
        handler.operation_id: set(declared_query_parameters(handler, set(re.findall(r"{(\w+)", route.path))))
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if isinstance(handler, HTTPRouteHandler) and handler.operation_id in documented
    }
    assert accepted.keys() == documented.keys()
    assert accepted == documented


@pytest.mark.parametrize(
    ("path", "field", "limit"),
    [("/customers", "notes", 10_000), ("/customers", "name", 200), ("/projects", "description", 10_000)],
)
async def test_a_text_longer_than_its_limit_is_400_naming_it(
    api: Api, path: str, field: str, limit: int
) -> None:
    customer = await api.customer()
    body: dict[str, object] = (
        {"name": "Ada"} if path == "/customers" else {"customer_id": customer["id"], "title": "T"}
    )
    response = await api.post(path, json={**body, field: "x" * (limit + 1)})
    assert assert_problem(response, 400)["errors"][0]["field"] == field
    assert (await api.post(path, json={**body, field: "x" * limit})).status_code == 201


async def test_interaction_content_has_its_limit_too(api: Api) -> None:
    customer = await api.customer()
    path = f"/customers/{customer['id']}/interactions"
    response = await api.post(path, json={"type": "note", "content": "x" * 50_001})
    assert assert_problem(response, 400)["errors"][0]["field"] == "content"
    assert (await api.post(path, json={"type": "note", "content": "x" * 50_000})).status_code == 201


async def test_an_integer_setting_may_be_written_with_a_zero_fraction_but_not_with_another(api: Api) -> None:
    accepted = await api.put(
        "/tenant/settings", json={**SETTINGS, "daily_model_call_budget": 7.0}, headers={"If-Match": "*"}
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["settings"]["daily_model_call_budget"] == 7
    refused = await api.put(
        "/tenant/settings", json={**SETTINGS, "daily_model_call_budget": 7.5}, headers={"If-Match": "*"}
    )
    assert assert_problem(refused, 400)["errors"][0]["field"] == "daily_model_call_budget"
