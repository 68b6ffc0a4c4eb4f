"""Project and task bodies."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from msgspec import UNSET, UnsetType

from lana_core.domain.pagination import Page
from lana_core.domain.projects import Priority, Project, ProjectStatus, Task
from lana_http.schemas.base import Body, Out, total_of
from lana_http.schemas.fields import LongText, Name


class ProjectCreate(Body):
    customer_id: UUID
    title: Name
    description: LongText | None = None
    priority: Priority = Priority.MEDIUM
    due_date: date | None = None
    assignee_id: UUID | None = None


class ProjectPatch(Body):
    """Only the fields sent change; ``null`` clears an optional field."""

    title: Name | UnsetType = UNSET
    description: LongText | UnsetType | None = UNSET
    priority: Priority | UnsetType = UNSET
    due_date: date | UnsetType | None = UNSET
    assignee_id: UUID | UnsetType | None = UNSET


class ProjectStatusChange(Body):
    status: ProjectStatus


class ProjectOut(Out):
    id: UUID
    customer_id: UUID
    title: str
    description: str | None
    status: ProjectStatus
    priority: Priority
    due_date: date | None
    assignee_id: UUID | None
    created_by: UUID
    version: int
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    archived_at: datetime | None

    @classmethod
    def of(cls, project: Project) -> ProjectOut:
        return cls(
            id=project.id,
            customer_id=project.customer_id,
            title=project.title,
            description=project.description,
            status=project.status,
            priority=project.priority,
            due_date=project.due_date,
            assignee_id=project.assignee_id,
            created_by=project.created_by,
            version=project.version,
            created_at=project.created_at,
            updated_at=project.updated_at,
            completed_at=project.completed_at,
            archived_at=project.archived_at,
        )


class ProjectPage(Out):
    items: list[ProjectOut]
    next_cursor: str | None
    # Only when the list was asked to count (`?count=true`).
    total: int | UnsetType = UNSET

    @classmethod
    def of(cls, page: Page[Project]) -> ProjectPage:
        return cls(
            items=[ProjectOut.of(p) for p in page.items], next_cursor=page.next_cursor, total=total_of(page)
        )


class TaskCreate(Body):
    project_id: UUID
    title: Name
    description: LongText | None = None
    assignee_id: UUID | None = None
    due_date: date | None = None


class TaskPatch(Body):
    """Only the fields sent change; ``null`` clears an optional field."""

    title: Name | UnsetType = UNSET
    description: LongText | UnsetType | None = UNSET
    assignee_id: UUID | UnsetType | None = UNSET
    due_date: date | UnsetType | None = UNSET


class TaskOut(Out):
    id: UUID
    project_id: UUID
    customer_id: UUID
    title: str
    description: str | None
    assignee_id: UUID | None
    due_date: date | None
    completed: bool
    completed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, task: Task) -> TaskOut:
        return cls(
            id=task.id,
            project_id=task.project_id,
            customer_id=task.customer_id,
            title=task.title,
            description=task.description,
            assignee_id=task.assignee_id,
            due_date=task.due_date,
            completed=task.completed,
            completed_at=task.completed_at,
            version=task.version,
            created_at=task.created_at,
            updated_at=task.updated_at,
        )


class TaskPage(Out):
    items: list[TaskOut]
    next_cursor: str | None
    # Only when the list was asked to count (`?count=true`).
    total: int | UnsetType = UNSET

    @classmethod
    def of(cls, page: Page[Task]) -> TaskPage:
        return cls(
            items=[TaskOut.of(t) for t in page.items], next_cursor=page.next_cursor, total=total_of(page)
        )
