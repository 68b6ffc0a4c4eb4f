"""Projects and their tasks."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from lana_core.app import Lana
from lana_core.domain.pagination import SortOrder
from lana_core.domain.projects import Priority, ProjectStatus
from lana_core.domain.queries import ProjectQuery, ProjectSort, TaskQuery
from lana_core.domain.tenancy import Actor
from lana_core.usecases.projects import ChangeProjectStatus, CreateProject, UpdateProject
from lana_core.usecases.tasks import CreateTask, UpdateTask
from lana_http.concurrency import (
    ETAG_HEADER,
    LOCATION_HEADER,
    IdempotencyKey,
    IfMatch,
    changed,
    conditional,
    documented_change,
    with_etag,
)
from lana_http.controllers._common import API, DEFAULT_PAGE, Count, Cursor, Limit, page_of, sent_fields
from lana_http.problems import GUARDED_WRITE, READ, WRITE, documented
from lana_http.schemas.work import (
    ProjectCreate,
    ProjectOut,
    ProjectPage,
    ProjectPatch,
    ProjectStatusChange,
    TaskCreate,
    TaskOut,
    TaskPage,
    TaskPatch,
)

PROJECT = "/{project_id:uuid}"
TASK = "/{task_id:uuid}"


class ProjectController(Controller):
    """Projects: list, create, read, edit, move along the board, archive."""

    path = f"{API}/projects"
    tags = ("projects",)

    @get("/", operation_id="listProjects", responses=documented(*READ))
    async def list_projects(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromQuery[UUID | None] = None,
        status: FromQuery[ProjectStatus | None] = None,
        priority: FromQuery[Priority | None] = None,
        assignee_id: FromQuery[UUID | None] = None,
        due_before: FromQuery[date | None] = None,
        due_after: FromQuery[date | None] = None,
        overdue_on: FromQuery[date | None] = None,
        sort: FromQuery[ProjectSort] = ProjectSort.CREATED_AT,
        order: FromQuery[SortOrder] = SortOrder.DESC,
        limit: Limit = DEFAULT_PAGE,
        cursor: Cursor = None,
        count: Count = False,
    ) -> ProjectPage:
        """Live projects matching every filter given, one page at a time; `count=true` adds `total`."""
        query = ProjectQuery(
            customer_id=customer_id,
            status=status,
            priority=priority,
            assignee_id=assignee_id,
            due_before=due_before,
            due_after=due_after,
            overdue_on=overdue_on,
            sort=sort,
            order=order,
            page=page_of(limit, cursor),
        )
        return ProjectPage.of(await lana.list_projects(actor, query, with_total=count))

    @post(
        "/",
        operation_id="createProject",
        responses=documented(*WRITE),
        response_headers=[ETAG_HEADER, LOCATION_HEADER],
        opt={"idempotent": True},
    )
    async def create_project(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        data: JSONBody[ProjectCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[ProjectOut]:
        """Create a project for a customer, in status `todo`."""
        project = await lana.create_project(actor, CreateProject(**sent_fields(data)))
        location = f"/api/v1/projects/{project.id}"
        return with_etag(ProjectOut.of(project), project.version, status=201, location=location)

    @get(PROJECT, operation_id="getProject", responses=documented(*READ), response_headers=[ETAG_HEADER])
    async def get_project(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], project_id: FromPath[UUID]
    ) -> Response[ProjectOut]:
        """One project, archived or not."""
        project = await lana.get_project(actor, project_id)
        return with_etag(ProjectOut.of(project), project.version)

    @patch(PROJECT, operation_id="updateProject", **documented_change())
    async def update_project(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        project_id: FromPath[UUID],
        data: JSONBody[ProjectPatch],
    ) -> Response[ProjectOut]:
        """Edit title, description, priority, due date or assignee. Requires `If-Match`."""
        return await changed(
            if_match,
            lambda expected: lana.update_project(
                actor, UpdateProject(project_id=project_id, expected_version=expected, **sent_fields(data))
            ),
            ProjectOut.of,
        )

    @delete(PROJECT, operation_id="archiveProject", status_code=200, **documented_change())
    async def archive_project(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        project_id: FromPath[UUID],
    ) -> Response[ProjectOut]:
        """Archive (soft-delete) a project. Requires `If-Match`."""
        return await changed(
            if_match, lambda expected: lana.archive_project(actor, project_id, expected), ProjectOut.of
        )

    @post(
        f"{PROJECT}/status",
        operation_id="changeProjectStatus",
        status_code=200,
        **documented_change(required=False),
    )
    async def change_status(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        project_id: FromPath[UUID],
        data: JSONBody[ProjectStatusChange],
    ) -> Response[ProjectOut]:
        """Move a project along todo → in_progress → review → done; `If-Match` is checked when sent."""
        return await changed(
            if_match,
            lambda expected: lana.change_project_status(
                actor,
                ChangeProjectStatus(project_id=project_id, status=data.status, expected_version=expected),
            ),
            ProjectOut.of,
            required=False,
        )


class TaskController(Controller):
    """Tasks: list, read, create, edit, complete, reopen, delete."""

    path = f"{API}/tasks"
    tags = ("tasks",)

    @get("/", operation_id="listTasks", responses=documented(*READ))
    async def list_tasks(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        project_id: FromQuery[UUID | None] = None,
        completed: FromQuery[bool | None] = None,
        assignee_id: FromQuery[UUID | None] = None,
        limit: Limit = DEFAULT_PAGE,
        cursor: Cursor = None,
        count: Count = False,
    ) -> TaskPage:
        """Tasks matching every filter given, oldest first; `count=true` adds `total`."""
        query = TaskQuery(
            project_id=project_id, completed=completed, assignee_id=assignee_id, page=page_of(limit, cursor)
        )
        return TaskPage.of(await lana.list_tasks(actor, query, with_total=count))

    @post(
        "/",
        operation_id="createTask",
        responses=documented(*WRITE),
        response_headers=[ETAG_HEADER],
        opt={"idempotent": True},
    )
    async def create_task(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        data: JSONBody[TaskCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[TaskOut]:
        """Add a task to a project."""
        task = await lana.create_task(actor, CreateTask(**sent_fields(data)))
        return with_etag(TaskOut.of(task), task.version, status=201, location=f"{API}/tasks/{task.id}")

    @get(TASK, operation_id="getTask", responses=documented(*READ), response_headers=[ETAG_HEADER])
    async def get_task(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], task_id: FromPath[UUID]
    ) -> Response[TaskOut]:
        """One task, with its ETag for a later `If-Match`."""
        task = await lana.get_task(actor, task_id)
        return with_etag(TaskOut.of(task), task.version)

    @patch(TASK, operation_id="updateTask", **documented_change())
    async def update_task(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        task_id: FromPath[UUID],
        data: JSONBody[TaskPatch],
    ) -> Response[TaskOut]:
        """Edit title, description, assignee or due date. Requires `If-Match`."""
        return await changed(
            if_match,
            lambda expected: lana.update_task(
                actor, UpdateTask(task_id=task_id, expected_version=expected, **sent_fields(data))
            ),
            TaskOut.of,
        )

    @delete(TASK, operation_id="deleteTask", status_code=204, responses=documented(*GUARDED_WRITE))
    async def delete_task(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        task_id: FromPath[UUID],
    ) -> None:
        """Delete a task for good (its history stays in the audit trail). Requires `If-Match`."""
        await conditional(if_match, lambda expected: lana.delete_task(actor, task_id, expected))

    @post(
        f"{TASK}/complete", operation_id="completeTask", status_code=200, **documented_change(required=False)
    )
    async def complete_task(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        task_id: FromPath[UUID],
    ) -> Response[TaskOut]:
        """Mark a task done; `If-Match` is checked when sent."""
        return await changed(
            if_match,
            lambda expected: lana.complete_task(actor, task_id, expected),
            TaskOut.of,
            required=False,
        )

    @post(f"{TASK}/reopen", operation_id="reopenTask", status_code=200, **documented_change(required=False))
    async def reopen_task(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        task_id: FromPath[UUID],
    ) -> Response[TaskOut]:
        """Mark a completed task as not done; `If-Match` is checked when sent."""
        return await changed(
            if_match, lambda expected: lana.reopen_task(actor, task_id, expected), TaskOut.of, required=False
        )
