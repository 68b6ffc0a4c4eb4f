"""The projects board, a project's page and My work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.e2e.api import Api
from tests.web.pages import Pages


async def test_a_move_the_status_machine_allows_goes_through(signed_in: Pages, api: Api) -> None:
    project = await api.project((await api.customer())["id"], title="Rollout")
    board = await signed_in.get("/projects")
    assert "Rollout" in board.text
    assert '<h2 id="column-todo">To do <' in board.text

    moved = await signed_in.post(
        f"/projects/{project['id']}/status",
        {"status": "in_progress", "version": "1"},
        headers={"HX-Request": "true"},
    )

    assert moved.status_code == 200
    assert 'id="board"' in moved.text
    assert "<html" not in moved.text
    assert "moved to in progress" in moved.text
    assert (await api.get(f"/projects/{project['id']}")).json()["status"] == "in_progress"


async def test_an_illegal_move_is_refused_visibly(signed_in: Pages, api: Api) -> None:
    project = await api.project((await api.customer())["id"], title="Rollout")
    for status in ("in_progress", "review", "done"):
        response = await api.post(f"/projects/{project['id']}/status", json={"status": status})
        assert response.status_code == 200, response.text
    await signed_in.get("/projects")

    refused = await signed_in.post(f"/projects/{project['id']}/status", {"status": "review", "version": "4"})

    assert refused.status_code == 422
    assert 'class="notice error"' in refused.text
    assert "cannot move from done to review" in refused.text
    assert (await api.get(f"/projects/{project['id']}")).json()["status"] == "done"


async def test_an_illegal_move_on_the_board_comes_back_as_the_board_with_the_reason(
    signed_in: Pages, api: Api
) -> None:
    project = await api.project((await api.customer())["id"], title="Rollout")
    for status in ("in_progress", "review", "done"):
        response = await api.post(f"/projects/{project['id']}/status", json={"status": status})
        assert response.status_code == 200, response.text
    await signed_in.get("/projects")

    refused = await signed_in.post(
        f"/projects/{project['id']}/status",
        {"status": "review", "version": "4"},
        headers={"HX-Request": "true"},
    )

    # The board alone, with the reason as an alert, for htmx to swap in place of the old one.
    assert refused.status_code == 422
    assert refused.text.lstrip().startswith('<div id="board">')
    assert 'role="alert">' in refused.text
    assert "cannot move from done to review" in refused.text
    assert "<html" not in refused.text
    assert (await api.get(f"/projects/{project['id']}")).json()["status"] == "done"


async def test_a_project_page_shows_its_tasks_with_overdue_ones_marked(signed_in: Pages, api: Api) -> None:
    project = await api.project((await api.customer())["id"], title="Rollout")
    late = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
    await api.task(project["id"], title="Write the plan", due_date=late)

    page = await signed_in.get(f"/projects/{project['id']}")

    assert "<title>Rollout · Lana</title>" in page.text
    assert "Write the plan" in page.text
    assert 'class="badge overdue"' in page.text
    added = await signed_in.post(f"/projects/{project['id']}/tasks", {"title": "Ship it", "due_date": ""})
    assert added.status_code == 303
    assert "Ship it" in (await signed_in.get(f"/projects/{project['id']}")).text


async def test_my_work_lists_my_open_tasks_overdue_first_and_completes_them(
    signed_in: Pages, api: Api
) -> None:
    me = (await api.me())["user_id"]
    project = await api.project((await api.customer())["id"])
    soon = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    late = (datetime.now(UTC).date() - timedelta(days=2)).isoformat()
    await api.task(project["id"], title="Later", assignee_id=me, due_date=soon)
    task = await api.task(project["id"], title="Late", assignee_id=me, due_date=late)
    await api.task(project["id"], title="Nobody's")

    work = await signed_in.get("/work")

    assert work.text.index("Late") < work.text.index("Later")
    assert "Nobody's" not in work.text
    assert "1 overdue" in work.text
    done = await signed_in.post(f"/tasks/{task['id']}/complete", {"version": "1", "back": "/work"})
    assert done.status_code == 303
    assert ">Late<" not in (await signed_in.get("/work")).text
