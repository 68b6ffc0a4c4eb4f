"""Customers over HTTP: every route, its ETag, its pagination and its refusals."""

from __future__ import annotations

from tests.e2e.api import Api


async def test_a_created_customer_is_read_back_with_its_stats_and_etag(api: Api) -> None:
    response = await api.post(
        "/customers", json={"name": "Ada", "email": "Ada@Example.com", "tags": ["VIP"], "value": "high"}
    )
    assert response.status_code == 201
    created = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"/api/v1/customers/{created['id']}"
    assert created["email"] == "ada@example.com"
    assert created["tags"] == ["vip"]

    read = await api.get(f"/customers/{created['id']}")
    assert read.status_code == 200
    assert read.headers["etag"] == '"1"'
    body = read.json()
    assert body["project_stats"] == {"total": 0, "done": 0, "in_progress": 0, "overdue": 0}
    assert body["task_stats"] == {"total": 0, "completed": 0, "completion_rate": 0.0}


async def test_listing_walks_every_customer_once_through_cursors(api: Api) -> None:
    created = {(await api.customer(name=f"Customer {i}"))["id"] for i in range(7)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/customers", params=params)).json()
        assert len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(created)


async def test_listing_filters_by_status_value_tag_and_text(api: Api) -> None:
    await api.customer(name="Lovelace Labs", value="high", tags=["fintech"])
    await api.customer(name="Babbage Ltd", value="low")
    high = (await api.get("/customers", params={"value": "high"})).json()["items"]
    tagged = (await api.get("/customers", params={"tag": "fintech"})).json()["items"]
    found = (await api.get("/customers", params={"q": "babbage"})).json()["items"]
    assert [c["name"] for c in high] == ["Lovelace Labs"]
    assert [c["name"] for c in tagged] == ["Lovelace Labs"]
    assert [c["name"] for c in found] == ["Babbage Ltd"]


async def test_page_size_is_bounded(api: Api) -> None:
    for limit in (0, 201, -1):
        response = await api.get("/customers", params={"limit": limit})
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_cursor_not_issued_by_the_api_is_a_400_like_any_bad_parameter(api: Api) -> None:
    for path in ("/customers", "/projects", "/tasks", "/users"):
        response = await api.get(path, params={"cursor": "bm90IGEgY3Vyc29y"})
        assert response.status_code == 400, path
        assert response.json()["code"] == "invalid_request"
        assert response.json()["errors"][0]["field"] == "cursor"


async def test_a_time_filter_without_a_zone_is_refused(api: Api) -> None:
    response = await api.get("/customers", params={"created_after": "2026-01-01T00:00:00"})
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "field": "created_after",
        "code": "naive_datetime",
        "message": "must carry a time zone, e.g. 2026-01-01T00:00:00Z",
    }


async def test_patch_changes_only_the_fields_sent_and_moves_the_etag(api: Api) -> None:
    customer = await api.customer(company="Analytical Engines", phone="+44 20 7946 0000")
    response = await api.patch(
        f"/customers/{customer['id']}",
        json={"company": None, "notes": "met at the fair"},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    body = response.json()
    assert body["company"] is None
    assert body["notes"] == "met at the fair"
    assert body["phone"] == customer["phone"]
    assert body["version"] == 2


async def test_invalid_fields_come_back_as_field_level_problems(api: Api) -> None:
    response = await api.post("/customers", json={"name": " ", "email": "not-an-email", "phone": "12"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"] == "https://lana.dev/problems/validation-error"
    assert {e["field"] for e in problem["errors"]} == {"name", "email", "phone"}
    assert all({"field", "code", "message"} == e.keys() for e in problem["errors"])


async def test_phones_are_stored_as_e164_and_a_national_number_needs_a_default_region(api: Api) -> None:
    made = await api.customer(phone="+44 (0)20 7946-0958", external_id="crm-7")
    national = await api.post("/customers", json={"name": "Grace", "phone": "020 7946 0958"})

    assert (made["phone"], made["external_id"]) == ("+442079460958", "crm-7")
    assert national.status_code == 422
    [error] = national.json()["errors"]
    assert (error["field"], error["code"]) == ("phone", "invalid_phone")
    assert "country code" in error["message"]


async def test_an_external_id_is_editable_and_a_taken_one_is_a_conflict(api: Api) -> None:
    await api.customer(external_id="crm-1")
    other = await api.customer(external_id="crm-2")
    path = f"/customers/{other['id']}"

    taken = await api.patch(path, json={"external_id": "crm-1"}, headers={"If-Match": '"1"'})
    cleared = await api.patch(path, json={"external_id": None}, headers={"If-Match": '"1"'})

    assert taken.status_code == 409
    assert taken.headers["content-type"].startswith("application/problem+json")
    assert (cleared.status_code, cleared.json()["external_id"]) == (200, None)


async def test_a_duplicate_email_is_a_conflict(api: Api) -> None:
    await api.customer(email="same@example.com")
    response = await api.post("/customers", json={"name": "Other", "email": "SAME@example.com"})
    assert response.status_code == 409
    assert response.json()["type"] == "https://lana.dev/problems/conflict"


async def test_archive_hides_the_customer_and_restore_brings_it_back(api: Api) -> None:
    customer = await api.customer()
    archived = await api.delete(f"/customers/{customer['id']}", headers={"If-Match": '"1"'})
    assert archived.status_code == 200
    assert archived.json()["archived_at"] is not None
    assert (await api.get("/customers")).json()["items"] == []
    only = (await api.get("/customers", params={"archived": "only"})).json()["items"]
    assert [c["id"] for c in only] == [customer["id"]]
    restored = await api.post(
        f"/customers/{customer['id']}/restore", headers={"If-Match": archived.headers["etag"]}
    )
    assert restored.status_code == 200
    assert restored.json()["archived_at"] is None
    assert restored.headers["etag"] == '"3"'


async def test_status_and_value_changes_follow_the_lifecycle(api: Api) -> None:
    customer = await api.customer()
    active = await api.post(f"/customers/{customer['id']}/status", json={"status": "active"})
    assert active.status_code == 200
    assert active.json()["status"] == "active"
    back = await api.post(f"/customers/{customer['id']}/status", json={"status": "prospect"})
    assert back.status_code == 422
    assert back.json()["errors"][0]["code"] == "illegal_transition"
    valued = await api.post(
        f"/customers/{customer['id']}/value", json={"value": "high"}, headers={"If-Match": '"2"'}
    )
    assert valued.status_code == 200
    assert valued.json()["value"] == "high"


async def test_an_unknown_customer_is_a_404_problem(api: Api) -> None:
    response = await api.get("/customers/01890000-0000-7000-8000-000000000000")
    assert response.status_code == 404
    assert response.json()["type"] == "https://lana.dev/problems/not-found"
