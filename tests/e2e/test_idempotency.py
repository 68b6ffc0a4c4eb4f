"""Idempotency-Key on creates: retries replay, mismatches and races are refused."""

from __future__ import annotations

import asyncio

from tests.e2e.api import Api


async def test_a_retry_with_the_same_key_returns_the_first_response_and_creates_nothing(api: Api) -> None:
    headers = {"Idempotency-Key": "create-ada-1"}
    first = await api.post("/customers", json={"name": "Ada"}, headers=headers)
    retry = await api.post("/customers", json={"name": "Ada"}, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["etag"] == first.headers["etag"]
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert len((await api.get("/customers")).json()["items"]) == 1


async def test_the_same_key_with_another_body_is_422(api: Api) -> None:
    headers = {"Idempotency-Key": "create-1"}
    await api.post("/customers", json={"name": "Ada"}, headers=headers)
    other = await api.post("/customers", json={"name": "Grace"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == "https://lana.dev/problems/idempotency-key-reused"
    assert len((await api.get("/customers")).json()["items"]) == 1


async def test_a_hundred_concurrent_duplicates_create_exactly_one_record(api: Api) -> None:
    headers = {"Idempotency-Key": "burst"}
    responses = await asyncio.gather(
        *(api.post("/customers", json={"name": "Burst"}, headers=headers) for _ in range(100))
    )
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    assert all(r.json()["type"].endswith("/idempotency-in-flight") for r in responses if r.status_code == 409)
    assert len((await api.get("/customers")).json()["items"]) == 1


async def test_a_failed_request_frees_its_key(api: Api) -> None:
    headers = {"Idempotency-Key": "fix-and-retry"}
    failed = await api.post("/customers", json={"name": "A", "email": "bad"}, headers=headers)
    assert failed.status_code == 422
    fixed = await api.post("/customers", json={"name": "A", "email": "bad"}, headers=headers)
    assert fixed.status_code == 422
    assert "idempotent-replayed" not in fixed.headers


async def test_keys_are_scoped_to_their_tenant(api: Api) -> None:
    other = await Api.signup(api.client)
    headers = {"Idempotency-Key": "shared-key"}
    mine = await api.post("/customers", json={"name": "Mine"}, headers=headers)
    theirs = await other.post("/customers", json={"name": "Mine"}, headers=headers)
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]


async def test_every_create_route_honours_the_key(api: Api) -> None:
    customer = await api.customer()
    project = await api.project(customer["id"])
    creates = [
        ("/projects", {"customer_id": customer["id"], "title": "P"}),
        ("/tasks", {"project_id": project["id"], "title": "T"}),
        (f"/customers/{customer['id']}/interactions", {"type": "note", "subject": "S"}),
        ("/analytics/events", {"name": "e"}),
        ("/analytics/events/batch", {"events": [{"name": "e"}]}),
    ]
    for index, (path, body) in enumerate(creates):
        headers = {"Idempotency-Key": f"k-{index}"}
        first = await api.post(path, json=body, headers=headers)
        retry = await api.post(path, json=body, headers=headers)
        assert first.status_code == 201, (path, first.text)
        assert retry.headers.get("idempotent-replayed") == "true", path
        assert retry.json() == first.json()


async def test_an_unusable_key_is_a_400(api: Api) -> None:
    response = await api.post("/customers", json={"name": "A"}, headers={"Idempotency-Key": "x" * 300})
    assert response.status_code == 400


async def test_a_retry_with_its_json_keys_in_another_order_is_the_same_request(api: Api) -> None:
    headers = {"Idempotency-Key": "reordered", "Content-Type": "application/json"}
    first = await api.post("/customers", content=b'{"name": "Ada", "company": "Engines"}', headers=headers)
    retry = await api.post(
        "/customers", content=b'{ "company" : "Engines",\n  "name":"Ada" }', headers=headers
    )
    assert first.status_code == retry.status_code == 201, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert len((await api.get("/customers")).json()["items"]) == 1


async def test_a_retry_with_another_value_under_reordered_keys_is_still_refused(api: Api) -> None:
    headers = {"Idempotency-Key": "reordered-other", "Content-Type": "application/json"}
    await api.post("/customers", content=b'{"name": "Ada", "company": "Engines"}', headers=headers)
    other = await api.post("/customers", content=b'{"company": "Looms", "name": "Ada"}', headers=headers)
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")


async def test_a_key_that_is_not_printable_ascii_is_400_and_creates_nothing(api: Api) -> None:
    for key in ("caf\xe9".encode("latin-1"), b"tab\tinside", b"x" * 256):
        response = await api.post("/customers", json={"name": "Ada"}, headers={"Idempotency-Key": key})
        assert response.status_code == 400, key
    assert (await api.get("/customers")).json()["items"] == []
