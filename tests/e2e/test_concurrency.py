"""Optimistic concurrency: ETags out, If-Match in; 428 without it, 412 when it is stale."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.api import Api


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
async def test_changing_a_customer_without_if_match_is_428(api: Api, method: str) -> None:
    customer = await api.customer()
    body = {"notes": "x"} if method == "PATCH" else None
    response = await api.request(method, f"/customers/{customer['id']}", json=body)
    assert response.status_code == 428
    assert response.json()["type"] == "https://lana.dev/problems/precondition-required"
    assert (await api.get(f"/customers/{customer['id']}")).json()["version"] == 1


async def test_projects_and_tasks_need_if_match_too(api: Api) -> None:
    project = await api.project((await api.customer())["id"])
    task = await api.task(project["id"])
    assert (await api.patch(f"/projects/{project['id']}", json={"title": "x"})).status_code == 428
    assert (await api.delete(f"/projects/{project['id']}")).status_code == 428
    assert (await api.patch(f"/tasks/{task['id']}", json={"title": "x"})).status_code == 428


async def test_a_stale_if_match_is_412_and_changes_nothing(api: Api) -> None:
    customer = await api.customer()
    first = await api.patch(
        f"/customers/{customer['id']}", json={"notes": "one"}, headers={"If-Match": '"1"'}
    )
    assert first.status_code == 200
    stale = await api.patch(
        f"/customers/{customer['id']}", json={"notes": "two"}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert (await api.get(f"/customers/{customer['id']}")).json()["notes"] == "one"


async def test_weak_and_wildcard_etags_are_understood(api: Api) -> None:
    customer = await api.customer()
    weak = await api.patch(f"/customers/{customer['id']}", json={"notes": "w"}, headers={"If-Match": 'W/"1"'})
    assert weak.status_code == 200
    anything = await api.patch(f"/customers/{customer['id']}", json={"notes": "a"}, headers={"If-Match": "*"})
    assert anything.status_code == 200
    garbage = await api.patch(
        f"/customers/{customer['id']}", json={"notes": "g"}, headers={"If-Match": '"abc"'}
    )
    assert garbage.status_code == 412


async def test_two_updates_with_the_same_etag_make_one_200_and_one_412(api: Api) -> None:
    customer = await api.customer()

    async def update(note: str) -> int:
        path = f"/customers/{customer['id']}"
        return (await api.patch(path, json={"notes": note}, headers={"If-Match": '"1"'})).status_code

    statuses = sorted(await asyncio.gather(update("left"), update("right")))
    assert statuses == [200, 412]


async def test_a_conflict_that_is_not_about_versions_stays_409(api: Api) -> None:
    customer = await api.customer()
    archived = await api.delete(f"/customers/{customer['id']}", headers={"If-Match": '"1"'})
    again = await api.delete(f"/customers/{customer['id']}", headers={"If-Match": archived.headers["etag"]})
    assert again.status_code == 409


async def test_an_if_match_that_is_no_entity_tag_is_400(api: Api) -> None:
    customer = await api.customer()
    for malformed in ("1", "abc", '"1', 'W/"1" "2"'):
        response = await api.patch(
            f"/customers/{customer['id']}", json={"notes": "x"}, headers={"If-Match": malformed}
        )
        assert response.status_code == 400, malformed
        assert response.json()["errors"][0]["field"] == "if_match"
    assert (await api.get(f"/customers/{customer['id']}")).json()["version"] == 1


async def test_an_entity_tag_of_no_version_is_404_for_a_missing_record_and_412_for_a_stored_one(
    api: Api,
) -> None:
    customer = await api.customer()
    missing = "01890000-0000-7000-8000-000000000000"
    headers = {"If-Match": '"not-a-version"'}
    assert (await api.patch(f"/customers/{missing}", json={"notes": "x"}, headers=headers)).status_code == 404
    assert (
        await api.patch(f"/customers/{customer['id']}", json={"notes": "x"}, headers=headers)
    ).status_code == 412
