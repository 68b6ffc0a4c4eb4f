"""Projects and tasks over HTTP."""

from __future__ import annotations

from tests.e2e.api import Api


async def test_a_project_moves_along_its_board_and_shows_in_the_customer_stats(api: Api) -> None:
    customer = await api.customer()
    project = await api.project(customer["id"], priority="high", due_date="2030-01-31")
    assert project["status"] == "todo"
    assert project["version"] == 1
    for status in ("in_progress", "review", "done"):
        moved = await api.post(f"/projects/{project['id']}/status", json={"status": status})
        assert moved.status_code == 200, moved.text
    read = await api.get(f"/projects/{project['id']}")
    assert read.json()["status"] == "done"
    assert read.json()["completed_at"] is not None
    assert read.headers["etag"] == '"4"'
    stats = (await api.get(f"/customers/{customer['id']}")).json()["project_stats"]
    assert stats == {"total": 1, "done": 1, "in_progress": 0, "overdue": 0}


async def test_an_illegal_project_move_is_a_validation_problem(api: Api) -> None:
    project = await api.project((await api.customer())["id"])
    response = await api.post(f"/projects/{project['id']}/status", json={"status": "done"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"


async def test_projects_are_listed_by_customer_and_status(api: Api) -> None:
    first, second = await api.customer(name="A"), await api.customer(name="B")
    mine = await api.project(first["id"], title="Mine")
    await api.project(second["id"], title="Theirs")
    listed = (await api.get("/projects", params={"customer_id": first["id"]})).json()
    assert [p["id"] for p in listed["items"]] == [mine["id"]]
    assert listed["next_cursor"] is None
    todo = (await api.get("/projects", params={"status": "todo", "limit": 1})).json()
    assert len(todo["items"]) == 1
    assert todo["next_cursor"] is not None


async def test_patching_and_archiving_a_project_needs_its_current_etag(api: Api) -> None:
    project = await api.project((await api.customer())["id"])
    edited = await api.patch(
        f"/projects/{project['id']}", json={"title": "Renamed"}, headers={"If-Match": '"1"'}
    )
    assert edited.status_code == 200
    assert edited.json()["title"] == "Renamed"
    stale = await api.delete(f"/projects/{project['id']}", headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    archived = await api.delete(f"/projects/{project['id']}", headers={"If-Match": edited.headers["etag"]})
    assert archived.status_code == 200
    assert archived.json()["archived_at"] is not None
    assert (await api.get("/projects")).json()["items"] == []


async def test_a_project_for_an_unknown_customer_is_a_404(api: Api) -> None:
    body = {"customer_id": "01890000-0000-7000-8000-000000000000", "title": "Ghost"}
    assert (await api.post("/projects", json=body)).status_code == 404


async def test_tasks_are_added_edited_completed_and_reopened(api: Api) -> None:
    customer = await api.customer()
    project = await api.project(customer["id"])
    task = await api.task(project["id"], due_date="2030-02-01")
    assert task["completed"] is False
    assert task["customer_id"] == customer["id"]
    edited = await api.patch(
        f"/tasks/{task['id']}", json={"title": "Write the better plan"}, headers={"If-Match": '"1"'}
    )
    assert edited.status_code == 200
    assert edited.headers["etag"] == '"2"'
    done = await api.post(f"/tasks/{task['id']}/complete", headers={"If-Match": '"2"'})
    assert done.status_code == 200
    assert done.json()["completed"] is True
    again = await api.post(f"/tasks/{task['id']}/complete")
    assert again.status_code == 409
    reopened = await api.post(f"/tasks/{task['id']}/reopen")
    assert reopened.status_code == 200
    assert reopened.json()["completed"] is False
    stats = (await api.get(f"/customers/{customer['id']}")).json()["task_stats"]
    assert stats["total"] == 1
    assert stats["completed"] == 0


async def test_tasks_are_listed_by_project_and_completion(api: Api) -> None:
    project = await api.project((await api.customer())["id"])
    open_task = await api.task(project["id"], title="Open")
    closed = await api.task(project["id"], title="Closed")
    await api.post(f"/tasks/{closed['id']}/complete")
    listed = (await api.get("/tasks", params={"project_id": project["id"], "completed": "false"})).json()
    assert [t["id"] for t in listed["items"]] == [open_task["id"]]


async def test_a_stale_task_etag_is_a_412(api: Api) -> None:
    task = await api.task((await api.project((await api.customer())["id"]))["id"])
    await api.post(f"/tasks/{task['id']}/complete")
    response = await api.patch(f"/tasks/{task['id']}", json={"title": "Late"}, headers={"If-Match": '"1"'})
    assert response.status_code == 412
    assert response.json()["type"] == "https://lana.dev/problems/precondition-failed"


async def test_deleting_a_task_needs_its_current_etag_and_answers_204(api: Api) -> None:
    project = await api.project((await api.customer())["id"])
    task = await api.task(project["id"])
    edited = await api.patch(f"/tasks/{task['id']}", json={"title": "Edited"}, headers={"If-Match": '"1"'})
    assert edited.status_code == 200

    missing = await api.delete(f"/tasks/{task['id']}")
    assert missing.status_code == 428
    stale = await api.delete(f"/tasks/{task['id']}", headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    deleted = await api.delete(f"/tasks/{task['id']}", headers={"If-Match": edited.headers["etag"]})
    assert deleted.status_code == 204
    assert deleted.content == b""

    assert (await api.get(f"/tasks/{task['id']}")).status_code == 404
    assert (await api.get("/tasks", params={"project_id": project["id"]})).json()["items"] == []
    again = await api.delete(f"/tasks/{task['id']}", headers={"If-Match": "*"})
    assert again.status_code == 404
    assert again.headers["content-type"] == "application/problem+json"


async def test_an_unknown_task_cannot_be_deleted(api: Api) -> None:
    response = await api.delete("/tasks/01890000-0000-7000-8000-000000000000", headers={"If-Match": "*"})
    assert response.status_code == 404
