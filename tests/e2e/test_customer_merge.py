"""Duplicate customers over HTTP: finding likely pairs, merging them into the one that stays."""

from __future__ import annotations

from typing import Any

from tests.e2e.api import Api


async def _merge(api: Api, kept: dict[str, Any], *merged: dict[str, Any], etag: str | None = None) -> Any:
    return await api.post(
        f"/customers/{kept['id']}/merge",
        json={"merge_ids": [one["id"] for one in merged]},
        headers={"If-Match": etag or f'"{kept["version"]}"'},
    )


async def test_duplicates_lists_pairs_with_their_reasons_best_first(api: Api) -> None:
    ada = await api.customer(name="Ada Lovelace", email="ada@example.com", company="Analytical")
    tagged = await api.customer(name="A. Lovelace", email="Ada+crm@Example.com", phone="+44 20 7946 0000")
    phone = await api.customer(name="Someone Else", phone="+44 (0)20 7946-0000")
    similar = await api.customer(name="Ada Lovelace.", company="analytical")
    await api.customer(name="Grace Hopper", company="Navy")

    response = await api.get("/customers/duplicates")

    assert response.status_code == 200, response.text
    pairs = {frozenset(p["customer_ids"]): p for p in response.json()["items"]}
    assert set(pairs) == {
        frozenset({ada["id"], tagged["id"]}),
        frozenset({tagged["id"], phone["id"]}),
        frozenset({ada["id"], similar["id"]}),
    }
    assert pairs[frozenset({ada["id"], tagged["id"]})]["reasons"] == ["same_email"]
    assert pairs[frozenset({tagged["id"], phone["id"]})]["reasons"] == ["same_phone"]
    assert pairs[frozenset({ada["id"], similar["id"]})]["reasons"] == ["similar_name_and_company"]
    scores = [p["score"] for p in response.json()["items"]]
    assert scores == sorted(scores, reverse=True)


async def test_duplicates_are_paged_with_a_cursor(api: Api) -> None:
    for index in range(4):
        await api.customer(name=f"Twin {index}", phone="+1 555 0100")

    first = (await api.get("/customers/duplicates", params={"limit": 4})).json()
    second = (
        await api.get("/customers/duplicates", params={"limit": 4, "cursor": first["next_cursor"]})
    ).json()

    assert len(first["items"]) == 4
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None
    seen = [frozenset(p["customer_ids"]) for p in first["items"] + second["items"]]
    assert len(set(seen)) == 6


async def test_agents_may_not_list_duplicates(api: Api) -> None:
    agent = await api.as_role("agent")

    response = await agent.get("/customers/duplicates")

    assert response.status_code == 403


async def test_merge_moves_the_records_and_leaves_a_tombstone(api: Api) -> None:
    kept = await api.customer(name="Ada", tags=["vip"], attributes={"tier": "gold"})
    other = await api.customer(
        name="Ada L.",
        phone="+44 20 7946 0001",
        company="Analytical",
        tags=["vip", "uk"],
        attributes={"tier": "x", "seat": 3},
    )
    project = await api.project(other["id"])
    await api.task(project["id"])
    await api.interaction(other["id"])

    response = await _merge(api, kept, other)

    assert response.status_code == 200, response.text
    merged = response.json()
    assert sorted(merged["tags"]) == ["uk", "vip"]
    assert merged["attributes"] == {"tier": "gold", "seat": 3}
    assert (merged["phone"], merged["company"], merged["name"]) == ("+442079460001", "Analytical", "Ada")
    assert response.headers["etag"] == f'"{merged["version"]}"'
    view = (await api.get(f"/customers/{kept['id']}")).json()
    assert view["project_stats"]["total"] == 1
    assert view["task_stats"]["total"] == 1
    moved = (await api.get(f"/projects/{project['id']}")).json()
    assert moved["customer_id"] == kept["id"]
    interactions = (await api.get(f"/customers/{kept['id']}/interactions")).json()["items"]
    assert len(interactions) == 1
    gone = await api.get(f"/customers/{other['id']}")
    assert gone.status_code == 410
    assert gone.headers["content-type"] == "application/problem+json"
    assert gone.json()["merged_into"] == kept["id"]
    listed = (await api.get("/customers")).json()["items"]
    assert [c["id"] for c in listed] == [kept["id"]]


async def test_merge_records_one_event_in_the_timeline(api: Api) -> None:
    kept = await api.customer(name="Ada")
    other = await api.customer(name="Ada L.")

    assert (await _merge(api, kept, other)).status_code == 200

    timeline = (await api.get(f"/customers/{kept['id']}/timeline")).json()["items"]
    assert [e["action"] for e in timeline if e["kind"] == "audit"].count("customer.merged") == 1


async def test_merge_requires_if_match_and_refuses_a_stale_version(api: Api) -> None:
    kept = await api.customer(name="Ada")
    other = await api.customer(name="Ada L.")

    missing = await api.post(f"/customers/{kept['id']}/merge", json={"merge_ids": [other["id"]]})
    stale = await _merge(api, kept, other, etag='"7"')

    assert missing.status_code == 428
    assert stale.status_code == 412
    assert (await api.get(f"/customers/{other['id']}")).status_code == 200


async def test_a_failed_merge_changes_nothing(api: Api) -> None:
    kept = await api.customer(name="Ada", tags=[f"k{i}" for i in range(15)])
    other = await api.customer(name="Ada L.", tags=[f"o{i}" for i in range(15)])
    project = await api.project(other["id"])

    response = await _merge(api, kept, other)

    assert response.status_code == 422
    assert (await api.get(f"/customers/{other['id']}")).status_code == 200
    assert (await api.get(f"/projects/{project['id']}")).json()["customer_id"] == other["id"]
    assert (await api.get(f"/customers/{kept['id']}")).json()["version"] == kept["version"]


async def test_merge_refuses_bad_targets(api: Api) -> None:
    kept = await api.customer(name="Ada")
    other = await api.customer(name="Ada L.")
    assert (await _merge(api, kept, other)).status_code == 200
    kept = (await api.get(f"/customers/{kept['id']}")).json()
    third = await api.customer(name="Third")

    itself = await _merge(api, kept, kept)
    again = await _merge(api, kept, other)
    unknown = await _merge(api, kept, {"id": "00000000-0000-0000-0000-000000000000"})
    into_tombstone = await _merge(api, other, third)

    assert itself.status_code == 422
    assert again.status_code == 409
    assert unknown.status_code == 404
    assert into_tombstone.status_code == 409
