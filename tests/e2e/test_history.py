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


async def test_the_timeline_pages_like_every_list(api: Api) -> None:
    customer = await api.customer(value="high")
    path = f"/customers/{customer['id']}"
    for subject in ("First", "Second", "Third"):
        await api.post(f"{path}/interactions", json={"type": "note", "subject": subject})
    at_once = (await api.get(f"{path}/timeline")).json()
    assert at_once["next_cursor"] is None

    walked, cursor = [], None
    while True:
        params = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = (await api.get(f"{path}/timeline", params=params)).json()
        walked.extend(page["items"])
        if (cursor := page["next_cursor"]) is None:
            break

    assert len(at_once["items"]) == 5
    assert walked == at_once["items"]
    forged = await api.get(f"{path}/timeline", params={"cursor": "not-a-cursor"})
    assert forged.status_code == 400
    assert forged.json()["errors"][0]["field"] == "cursor"


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


async def test_an_interaction_is_corrected_with_its_etag_then_deleted(api: Api) -> None:
    customer = await api.customer()
    base = f"/customers/{customer['id']}/interactions"
    recorded = await api.post(base, json={"type": "call", "subject": "Intro call"})
    assert recorded.status_code == 201
    assert recorded.headers["etag"] == '"1"'
    one = f"{base}/{recorded.json()['id']}"

    assert (await api.patch(one, json={"subject": "Intro"})).status_code == 428
    edited = await api.patch(
        one, json={"content": "Wants a demo", "type": "meeting"}, headers={"If-Match": '"1"'}
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["subject"], body["content"], body["type"], body["version"]) == (
        "Intro call",
        "Wants a demo",
        "meeting",
        2,
    )
    assert body["edited_at"] is not None
    assert edited.headers["etag"] == '"2"'
    read = await api.get(one)
    assert (read.json(), read.headers["etag"]) == (body, '"2"')

    assert (await api.delete(one, headers={"If-Match": '"1"'})).status_code == 412
    deleted = await api.delete(one, headers={"If-Match": '"2"'})
    assert deleted.status_code == 204
    assert (await api.get(one)).status_code == 404
    assert (await api.delete(one, headers={"If-Match": "*"})).status_code == 404
    assert (await api.get(base)).json()["items"] == []
    timeline = (await api.get(f"/customers/{customer['id']}/timeline")).json()["items"]
    assert [e["action"] for e in timeline if e["aggregate_type"] == "interaction"] == ["interaction.deleted"]


async def test_an_interaction_edit_refuses_what_a_record_refuses(api: Api) -> None:
    customer = await api.customer()
    base = f"/customers/{customer['id']}/interactions"
    one = f"{base}/{(await api.post(base, json={'type': 'note', 'subject': 'Hi'})).json()['id']}"
    headers = {"If-Match": "*"}

    for body, status in (
        ({"subject": "bell\u0007"}, 422),
        ({"subject": None, "content": None}, 422),
        ({"subject": "x" * 301}, 400),
        ({"occurred_at": "2026-01-01T00:00:00"}, 422),
        ({"author_id": customer["id"]}, 400),
    ):
        response = await api.patch(one, json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert (await api.get(one)).json()["version"] == 1


async def test_an_interaction_is_only_found_under_its_own_customer(api: Api) -> None:
    first, second = await api.customer(name="A"), await api.customer(name="B")
    logged = (
        await api.post(f"/customers/{first['id']}/interactions", json={"type": "note", "subject": "Hi"})
    ).json()
    elsewhere = f"/customers/{second['id']}/interactions/{logged['id']}"

    assert (await api.get(elsewhere)).status_code == 404
    assert (await api.patch(elsewhere, json={"subject": "x"}, headers={"If-Match": "*"})).status_code == 404
    assert (await api.delete(elsewhere, headers={"If-Match": "*"})).status_code == 404


async def test_agents_change_only_the_interactions_they_wrote(api: Api) -> None:
    author, colleague = await api.as_role("agent"), await api.as_role("agent")
    customer = await author.customer()
    base = f"/customers/{customer['id']}/interactions"
    one = f"{base}/{(await author.post(base, json={'type': 'note', 'subject': 'Mine'})).json()['id']}"
    headers = {"If-Match": "*"}

    assert (await colleague.patch(one, json={"subject": "Theirs"}, headers=headers)).status_code == 403
    assert (await colleague.delete(one, headers=headers)).status_code == 403
    assert (await author.patch(one, json={"subject": "Still mine"}, headers=headers)).status_code == 200
    assert (await author.delete(one, headers=headers)).status_code == 204
