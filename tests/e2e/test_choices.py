"""Statuses, priorities, roles and the other closed sets of names over HTTP: sent in any
case (the original's ``HIGH``, ``ACTIVE``, ``CALL``, ``URGENT``), answered in lower case,
and a name outside the set refused with the names it may be."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from lana_core.domain.customers import CustomerStatus
from tests.e2e.api import Api
from tests.support import PASSWORD


def refusal(response: httpx.Response) -> dict[str, Any]:
    """The one field error of a 400 problem."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    return dict(error)


async def test_the_originals_upper_case_names_are_accepted_and_answered_in_lower_case(api: Api) -> None:
    customer = await api.customer(value="HIGH", status="Active")
    assert (customer["value"], customer["status"]) == ("high", "active")
    assert customer["activated_at"] is not None
    project = await api.project(customer["id"], priority="URGENT")
    assert project["priority"] == "urgent"
    interaction = await api.post(
        f"/customers/{customer['id']}/interactions", json={"type": "CALL", "subject": "Kick-off"}
    )
    assert interaction.status_code == 201, interaction.text
    assert interaction.json()["type"] == "call"


async def test_changes_of_status_value_and_role_take_names_in_any_case(api: Api) -> None:
    customer = await api.customer()
    moved = await api.post(f"/customers/{customer['id']}/status", json={"status": "ACTIVE"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "active"
    valued = await api.post(f"/customers/{customer['id']}/value", json={"value": "Low"})
    assert valued.json()["value"] == "low"
    project = await api.project(customer["id"])
    started = await api.post(f"/projects/{project['id']}/status", json={"status": "In_Progress"})
    assert started.json()["status"] == "in_progress"
    body = {"email": "maria@example.com", "name": "Maria", "role": "MANAGER", "password": PASSWORD}
    user = await api.post("/users", json=body)
    assert user.status_code == 201, user.text
    assert user.json()["role"] == "manager"
    promoted = await api.post(f"/users/{user.json()['id']}/role", json={"role": "Admin"})
    assert promoted.json()["role"] == "admin"


async def test_a_batch_of_customers_takes_names_in_any_case(api: Api) -> None:
    batch = {"customers": [{"name": "Ada", "value": "HIGH"}, {"name": "Alan", "status": "INACTIVE"}]}
    response = await api.post("/customers/batch", json=batch)
    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert [(c["value"], c["status"]) for c in items] == [("high", "prospect"), ("medium", "inactive")]


async def test_filters_and_sorts_take_names_in_any_case(api: Api) -> None:
    active = await api.customer(name="Active one", status="ACTIVE")
    await api.customer(name="Prospect")
    params = {"status": "ACTIVE", "sort": "NAME", "order": "Asc", "archived": "EXCLUDE"}
    listed = await api.get("/customers", params=params)
    assert listed.status_code == 200, listed.text
    assert [c["id"] for c in listed.json()["items"]] == [active["id"]]
    project = await api.project(active["id"], priority="high")
    projects = await api.get("/projects", params={"priority": "HIGH", "status": "TODO"})
    assert [p["id"] for p in projects.json()["items"]] == [project["id"]]
    series = await api.get("/analytics/timeseries", params={"timeframe": "7D", "interval": "DAY"})
    assert series.status_code == 200, series.text
    assert (series.json()["timeframe"], series.json()["interval"]) == ("7d", "day")


@pytest.mark.parametrize(
    ("path", "body", "field", "allowed"),
    [
        ("/customers", {"name": "Ada", "status": "won"}, "status", "prospect, active, inactive"),
        ("/customers/batch", {"customers": [{"name": "A", "value": "huge"}]}, "customers[0].value", None),
        (
            "/users",
            {"email": "x@example.com", "name": "X", "role": "boss", "password": PASSWORD},
            "role",
            None,
        ),
    ],
)
async def test_a_name_outside_its_set_is_refused_with_the_names_allowed(
    api: Api, path: str, body: dict[str, Any], field: str, allowed: str | None
) -> None:
    error = refusal(await api.post(path, json=body))
    assert (error["field"], error["code"]) == (field, "invalid_choice")
    assert (allowed or "") in error["message"]
    assert error["message"].startswith("must be one of: ")


async def test_a_body_field_and_a_query_parameter_list_the_same_names(api: Api) -> None:
    customer = await api.customer()
    in_body = refusal(await api.post(f"/customers/{customer['id']}/status", json={"status": "won"}))
    in_query = refusal(await api.get("/customers", params={"status": "won"}))
    assert in_body == in_query
    assert in_query["message"] == "must be one of: prospect, active, inactive (in any case)"
    for status in CustomerStatus:
        assert status.value in in_query["message"]
    priority = refusal(await api.get("/projects", params={"priority": "asap"}))
    assert priority["message"] == "must be one of: low, medium, high, urgent (in any case)"
    timeframe = refusal(await api.get("/analytics/metrics", params={"timeframe": "1y"}))
    assert (timeframe["field"], timeframe["message"]) == (
        "timeframe",
        "must be one of: 1h, 24h, 7d, 30d (in any case)",
    )
