"""Creating customers in a batch over HTTP: all or nothing, errors naming the item, safe retries."""

from __future__ import annotations

from tests.e2e.api import Api


async def test_a_batch_creates_every_customer_in_the_order_sent(api: Api) -> None:
    body = {"customers": [{"name": "Ada", "email": "ADA@example.com", "value": "high"}, {"name": "Grace"}]}

    response = await api.post("/customers/batch", json=body)

    assert response.status_code == 201
    items = response.json()["items"]
    assert [(c["name"], c["email"], c["version"]) for c in items] == [
        ("Ada", "ada@example.com", 1),
        ("Grace", None, 1),
    ]
    listed = (await api.get("/customers")).json()["items"]
    assert {c["id"] for c in listed} == {c["id"] for c in items}


async def test_an_invalid_item_is_a_problem_naming_it_and_nothing_is_created(api: Api) -> None:
    body = {"customers": [{"name": "Ada"}, {"name": "Bad", "email": "not-an-address"}]}

    response = await api.post("/customers/batch", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "customers[1].email" in response.text
    assert (await api.get("/customers")).json()["items"] == []


async def test_a_repeated_email_is_a_conflict_and_nothing_is_created(api: Api) -> None:
    body = {
        "customers": [
            {"name": "Ada", "email": "ada@example.com"},
            {"name": "Twin", "email": "Ada@example.com"},
        ]
    }

    response = await api.post("/customers/batch", json=body)

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("customers[0].email", "repeated"),
        ("customers[1].email", "repeated"),
    ]
    assert (await api.get("/customers")).json()["items"] == []


async def test_an_email_already_taken_is_a_conflict_naming_the_item(api: Api) -> None:
    await api.customer(name="Grace", email="grace@navy.mil")
    body = {"customers": [{"name": "Ada"}, {"name": "Other Grace", "email": "GRACE@navy.mil"}]}

    response = await api.post("/customers/batch", json=body)

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "conflict"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [("customers[1].email", "taken")]
    assert "customers[1].email" in problem["detail"]
    assert len((await api.get("/customers")).json()["items"]) == 1


async def test_an_empty_or_oversized_batch_is_refused(api: Api) -> None:
    for customers in ([], [{"name": f"P{n}"} for n in range(1_001)]):
        response = await api.post("/customers/batch", json={"customers": customers})
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"


async def test_a_retried_batch_with_the_same_key_creates_nothing_more(api: Api) -> None:
    headers = {"Idempotency-Key": "import-1"}
    body = {"customers": [{"name": "Ada"}, {"name": "Grace"}]}

    first = await api.post("/customers/batch", json=body, headers=headers)
    retry = await api.post("/customers/batch", json=body, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert len((await api.get("/customers")).json()["items"]) == 2
