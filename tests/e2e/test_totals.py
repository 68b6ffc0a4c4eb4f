"""`?count=true` on the lists: the number of records the filters match in the caller's tenant,
as `total`; left out unless asked for."""

from __future__ import annotations

import pytest

from tests.e2e.api import Api


async def test_customer_totals_count_every_match_of_the_filters_not_only_the_page(api: Api) -> None:
    for name, value in (("Ada", "high"), ("Grace", "high"), ("Linus", "low")):
        await api.customer(name=name, value=value)
    await (await Api.signup(api.client)).customer(name="Elsewhere", value="high")

    counted = (await api.get("/customers", params={"value": "high", "limit": 1, "count": "true"})).json()
    plain = (await api.get("/customers", params={"value": "high", "limit": 1})).json()

    assert (len(counted["items"]), counted["total"]) == (1, 2)
    assert "total" not in plain
    assert counted["next_cursor"] == plain["next_cursor"]
    second = await api.get("/customers", params={"count": "true", "cursor": counted["next_cursor"]})
    assert second.json()["total"] == 3
    searched = await api.get("/customers", params={"q": "GRA", "count": "true"})
    assert searched.json()["total"] == 1


async def test_project_task_and_interaction_lists_count_when_asked(api: Api) -> None:
    customer = await api.customer()
    projects = [await api.project(customer["id"], title=f"P{n}") for n in range(3)]
    for _ in range(2):
        await api.task(projects[0]["id"])
    done = await api.task(projects[0]["id"])
    await api.post(f"/tasks/{done['id']}/complete")
    for subject in ("One", "Two"):
        await api.interaction(customer["id"], subject=subject)

    for path, params, expected in (
        ("/projects", {"customer_id": customer["id"]}, 3),
        ("/tasks", {"project_id": projects[0]["id"]}, 3),
        ("/tasks", {"project_id": projects[0]["id"], "completed": "false"}, 2),
        (f"/customers/{customer['id']}/interactions", {}, 2),
    ):
        response = await api.get(path, params={**params, "limit": 1, "count": "true"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (len(body["items"]), body["total"]) == (1, expected), path
        assert "total" not in (await api.get(path, params=params)).json()


@pytest.mark.parametrize("value", ["yes", "2", ""])
async def test_count_takes_true_or_false_only(api: Api, value: str) -> None:
    response = await api.get("/customers", params={"count": value})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_restricted_agent_counts_only_its_own_customers(api: Api) -> None:
    agent = await api.as_role("agent")
    await agent.customer(name="Mine")
    await api.customer(name="Not mine")
    settings = (await api.get("/tenant")).json()
    body = {
        "agents_see_only_own_customers": True,
        "insight_max_age_seconds": settings["settings"]["insight_max_age_seconds"],
        "daily_model_call_budget": settings["settings"]["daily_model_call_budget"],
    }
    changed = await api.put("/tenant/settings", json=body, headers={"If-Match": "*"})
    assert changed.status_code == 200, changed.text

    assert (await agent.get("/customers", params={"count": "true"})).json()["total"] == 1
    assert (await api.get("/customers", params={"count": "true"})).json()["total"] == 2
