"""Interactions, the timeline and insights over HTTP."""

from __future__ import annotations

from tests.e2e.api import Api


async def test_recorded_interactions_are_listed_newest_first(api: Api) -> None:
    customer = await api.customer()
    for subject, when in (("Intro call", "2026-01-01T10:00:00Z"), ("Follow-up", "2026-01-05T10:00:00+02:00")):
        body = {"type": "call", "subject": subject, "occurred_at": when}
        response = await api.post(f"/customers/{customer['id']}/interactions", json=body)
        assert response.status_code == 201, response.text
    listed = (await api.get(f"/customers/{customer['id']}/interactions")).json()
    assert [i["subject"] for i in listed["items"]] == ["Follow-up", "Intro call"]
    assert listed["next_cursor"] is None


async def test_an_interaction_needs_a_subject_or_content(api: Api) -> None:
    customer = await api.customer()
    response = await api.post(f"/customers/{customer['id']}/interactions", json={"type": "note"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "subject"


async def test_the_timeline_merges_changes_and_interactions(api: Api) -> None:
    customer = await api.customer()
    await api.post(f"/customers/{customer['id']}/status", json={"status": "active"})
    await api.post(f"/customers/{customer['id']}/interactions", json={"type": "email", "subject": "Welcome"})
    timeline = (await api.get(f"/customers/{customer['id']}/timeline", params={"limit": 10})).json()["items"]
    kinds = [(entry["kind"], entry["action"]) for entry in timeline]
    assert ("interaction", "interaction.recorded") in kinds
    assert ("audit", "customer.status_changed") in kinds
    assert ("audit", "customer.created") in kinds
    assert timeline == sorted(timeline, key=lambda e: (e["occurred_at"], e["id"]), reverse=True)


async def test_an_insight_is_generated_stored_and_listed(api: Api) -> None:
    customer = await api.customer(value="high")
    assert (await api.get(f"/customers/{customer['id']}/insights/latest")).status_code == 404
    generated = await api.post(f"/customers/{customer['id']}/insights", json={"refresh": False})
    assert generated.status_code == 200, generated.text
    insight = generated.json()
    assert 0 <= insight["health_score"] <= 100
    assert insight["source"] == "rules"
    latest = (await api.get(f"/customers/{customer['id']}/insights/latest")).json()
    assert latest["id"] == insight["id"]
    listed = (await api.get(f"/customers/{customer['id']}/insights")).json()
    assert [i["id"] for i in listed["items"]] == [insight["id"]]


async def test_the_latest_insight_of_a_customer_not_yet_assessed_is_404_naming_the_customer(
    api: Api,
) -> None:
    customer = await api.customer()
    response = await api.get(f"/customers/{customer['id']}/insights/latest")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "not_found"
    assert problem["detail"] == f"customer {customer['id']} has no insight yet"


async def test_the_latest_insight_of_an_unknown_customer_is_404_for_the_customer(api: Api) -> None:
    missing = "01890000-0000-7000-8000-000000000000"
    response = await api.get(f"/customers/{missing}/insights/latest")
    assert response.status_code == 404
    assert response.json()["detail"] == f"customer {missing} was not found"


async def test_a_fresh_insight_is_reused_unless_a_refresh_is_asked_for(api: Api) -> None:
    customer = await api.customer()
    first = (await api.post(f"/customers/{customer['id']}/insights")).json()
    reused = (await api.post(f"/customers/{customer['id']}/insights")).json()
    refreshed = (await api.post(f"/customers/{customer['id']}/insights", json={"refresh": True})).json()
    assert reused["id"] == first["id"]
    assert refreshed["id"] != first["id"]


async def test_a_batch_assesses_named_customers_and_reports_each_outcome(api: Api) -> None:
    first, second = await api.customer(name="A"), await api.customer(name="B")
    missing = "01890000-0000-7000-8000-000000000000"
    response = await api.post("/insights/batch", json={"customer_ids": [first["id"], second["id"], missing]})
    assert response.status_code == 200, response.text
    outcome = {item["customer_id"]: item for item in response.json()["items"]}
    assert outcome[first["id"]]["insight"] is not None
    assert outcome[second["id"]]["error"] is None
    assert outcome[missing] == {"customer_id": missing, "insight": None, "error": "not_found"}


async def test_a_batch_by_filter_assesses_the_matching_customers(api: Api) -> None:
    high = await api.customer(name="High", value="high")
    await api.customer(name="Low", value="low")
    response = await api.post("/insights/batch", json={"filter": {"value": "high"}})
    assert [item["customer_id"] for item in response.json()["items"]] == [high["id"]]


async def test_a_batch_needs_ids_or_a_filter_and_at_most_500_ids(api: Api) -> None:
    assert (await api.post("/insights/batch", json={})).status_code == 422
    too_many = {"customer_ids": [f"01890000-0000-7000-8000-{i:012d}" for i in range(501)]}
    assert (await api.post("/insights/batch", json=too_many)).status_code == 400
