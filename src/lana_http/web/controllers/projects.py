"""Projects: the board by status, whose moves go through the core's status machine, and a
project's page with its tasks."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from lana_core.app import Lana
from lana_core.domain.pagination import PageRequest, SortOrder
from lana_core.domain.projects import Project, ProjectStatus
from lana_core.domain.queries import ProjectQuery, ProjectSort, TaskQuery
from lana_core.errors import Conflict, StaleVersion, ValidationError
from lana_core.usecases.projects import ChangeProjectStatus
from lana_core.usecases.tasks import CreateTask
from lana_http.web import forms
from lana_http.web.context import Viewer, is_htmx, page
from lana_http.web.controllers._base import AnyRequest, PageController, field_errors, refusal_status
from lana_http.web.people import people

BOARD_COLUMN = 50
TASKS_SHOWN = 200
# The board's columns, left to right: the order work flows in.
COLUMNS = (ProjectStatus.TODO, ProjectStatus.IN_PROGRESS, ProjectStatus.REVIEW, ProjectStatus.DONE)


class ProjectController(PageController):
    path = "/projects"

    @get("/", name="projects")
    async def board(self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]) -> Template:
        """The board: live projects by status, soonest due first."""
        return await board_page(lana, viewer)

    @post("/{project_id:uuid}/status", name="project-move")
    async def move(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        project_id: FromPath[UUID],
    ) -> Response[Any]:
        """Move a project to another column; the core refuses a move its status machine does
        not allow, and the board says so."""
        form = await request.form()
        back = forms.text(form, "back")
        try:
            status = forms.required_choice(ProjectStatus, form, "status")
            command = ChangeProjectStatus(
                project_id=project_id, status=status, expected_version=forms.version(form)
            )
            project = await lana.change_project_status(viewer.actor, command)
        except (ValidationError, Conflict) as error:
            message = _refusal(error)
            if back == "project":
                return await project_page(
                    lana, viewer, project_id, error=message, status=refusal_status(error)
                )
            return await board_page(
                lana, viewer, error=message, status=refusal_status(error), fragment=is_htmx(request)
            )
        notice = f"“{project.title}” moved to {project.status.value.replace('_', ' ')}."
        if back == "project":
            return Redirect(f"/projects/{project_id}", status_code=303)
        if is_htmx(request):
            return await board_page(lana, viewer, notice=notice, fragment=True)
        return Redirect("/projects", status_code=303)

    @get("/{project_id:uuid}", name="project")
    async def project(
        self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer], project_id: FromPath[UUID]
    ) -> Template:
        """One project with its tasks."""
        return await project_page(lana, viewer, project_id)

    @post("/{project_id:uuid}/tasks", name="task-create")
    async def add_task(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        project_id: FromPath[UUID],
    ) -> Response[Any]:
        """Add a task to the project."""
        form = await request.form()
        try:
            command = CreateTask(
                project_id=project_id,
                title=forms.text(form, "title"),
                due_date=forms.day(form, "due_date"),
                assignee_id=forms.identifier(form, "assignee_id"),
            )
            await lana.create_task(viewer.actor, command)
        except ValidationError as error:
            errors = field_errors(error)
            return await project_page(
                lana, viewer, project_id, task_errors=errors, task_form=form, status=422
            )
        except Conflict as error:
            return await project_page(lana, viewer, project_id, error=error.message, status=409)
        return Redirect(f"/projects/{project_id}", status_code=303)


async def board_page(
    lana: Lana,
    viewer: Viewer,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
    fragment: bool = False,
) -> Template:
    """The board; ``fragment``: the board alone, for htmx to swap in."""
    restricted = None
    queries = [
        ProjectQuery(
            status=column,
            sort=ProjectSort.DUE_DATE,
            order=SortOrder.ASC,
            page=PageRequest(limit=BOARD_COLUMN),
        )
        for column in COLUMNS
    ]
    columns: list[tuple[ProjectStatus, list[Project]]]
    try:
        found = await asyncio.gather(*(lana.list_projects(viewer.actor, query) for query in queries))
        columns = [(column, list(listed.items)) for column, listed in zip(COLUMNS, found, strict=True)]
    except ValidationError as refusal:
        # An agent who sees only its own customers lists projects customer by customer.
        restricted = refusal.errors[0].message
        columns = [(column, []) for column in COLUMNS]
    context: dict[str, Any] = {
        "columns": columns,
        "order": COLUMNS,
        "notice": notice,
        "error": error,
        "restricted": restricted,
        "today": lana.kernel.clock.now().date(),
    }
    if fragment:
        return page("projects/_board.html", viewer, status=status, **context)
    return page("projects/board.html", viewer, status=status, section="projects", **context)


async def project_page(
    lana: Lana,
    viewer: Viewer,
    project_id: UUID,
    *,
    error: str | None = None,
    status: int = 200,
    task_errors: dict[str, str] | None = None,
    task_form: forms.Form | None = None,
) -> Template:
    project = await lana.get_project(viewer.actor, project_id)
    customer = (await lana.get_customer(viewer.actor, project.customer_id)).customer
    tasks = await lana.list_tasks(
        viewer.actor, TaskQuery(project_id=project_id, page=PageRequest(limit=TASKS_SHOWN))
    )
    return page(
        "projects/page.html",
        viewer,
        status=status,
        section="projects",
        project=project,
        customer=customer,
        tasks=tasks.items,
        people=await people(lana, viewer),
        error=error,
        task_errors=task_errors or {},
        task_values={
            name: forms.text(task_form or {}, name) for name in ("title", "due_date", "assignee_id")
        },
        today=lana.kernel.clock.now().date(),
        order=COLUMNS,
    )


def _refusal(error: ValidationError | Conflict) -> str:
    if isinstance(error, StaleVersion):
        return "Someone moved or changed this project meanwhile: nothing was saved. Here it is as it is now."
    if isinstance(error, ValidationError):
        return "Refused: " + "; ".join(item.message for item in error.errors) + "."
    return error.message
