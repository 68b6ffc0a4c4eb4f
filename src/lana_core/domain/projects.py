"""Projects delivered for a customer, and the tasks they break into."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from attrs import frozen

from lana_core.domain import validation
from lana_core.domain.choices import Choice
from lana_core.domain.versions import check_version, next_version
from lana_core.errors import Conflict, ValidationError


class ProjectStatus(Choice, field="status"):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    REVIEW = "review"
    DONE = "done"


class Priority(Choice, field="priority"):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    URGENT = "urgent"


# Work starts, goes to review, and is accepted or sent back. Work can be paused back to
# TODO before review. A DONE project is reopened by moving it back to IN_PROGRESS.
PROJECT_TRANSITIONS: Mapping[ProjectStatus, frozenset[ProjectStatus]] = {
    ProjectStatus.TODO: frozenset({ProjectStatus.IN_PROGRESS}),
    ProjectStatus.IN_PROGRESS: frozenset({ProjectStatus.TODO, ProjectStatus.REVIEW}),
    ProjectStatus.REVIEW: frozenset({ProjectStatus.IN_PROGRESS, ProjectStatus.DONE}),
    ProjectStatus.DONE: frozenset({ProjectStatus.IN_PROGRESS}),
}


@frozen(kw_only=True)
class Project:
    """A piece of work for one customer, in the same tenant as the customer."""

    id: UUID
    tenant_id: UUID
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
    def create(
        cls,
        *,
        id: UUID,
        tenant_id: UUID,
        customer_id: UUID,
        title: str,
        description: str | None,
        priority: Priority,
        due_date: date | None,
        assignee_id: UUID | None,
        created_by: UUID,
        now: datetime,
    ) -> Project:
        return cls(
            id=id,
            tenant_id=tenant_id,
            customer_id=customer_id,
            **_work_texts(title, description),
            status=ProjectStatus.TODO,
            priority=Priority(priority),
            due_date=due_date,
            assignee_id=assignee_id,
            created_by=created_by,
            version=1,
            created_at=now,
            updated_at=now,
            completed_at=None,
            archived_at=None,
        )

    def is_overdue(self, today: date) -> bool:
        """Past its due date and not done: what the original's ``overdue`` counted."""
        return (
            self.due_date is not None
            and self.due_date < today
            and self.status is not ProjectStatus.DONE
            and self.archived_at is None
        )

    def check_version(self, expected: int | None) -> None:
        check_version("project", self, expected)

    def edit(
        self,
        *,
        title: str,
        description: str | None,
        priority: Priority,
        due_date: date | None,
        assignee_id: UUID | None,
        now: datetime,
    ) -> Project:
        self._ensure_not_archived()
        return next_version(
            self,
            now,
            **_work_texts(title, description),
            priority=Priority(priority),
            due_date=due_date,
            assignee_id=assignee_id,
        )

    def move_to(self, status: ProjectStatus, now: datetime) -> Project:
        self._ensure_not_archived()
        status = ProjectStatus(status)
        if status not in PROJECT_TRANSITIONS[self.status]:
            raise ValidationError.single(
                "status", "illegal_transition", f"a project cannot move from {self.status} to {status}"
            )
        completed_at = now if status is ProjectStatus.DONE else None
        return next_version(self, now, status=status, completed_at=completed_at)

    def archive(self, now: datetime) -> Project:
        if self.archived_at is not None:
            raise Conflict(f"project {self.id} is already archived")
        return next_version(self, now, archived_at=now)

    def _ensure_not_archived(self) -> None:
        if self.archived_at is not None:
            raise Conflict(f"project {self.id} is archived")


@frozen(kw_only=True)
class Task:
    """A step of a project; completing it counts towards the customer's completion rate."""

    id: UUID
    tenant_id: UUID
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
    def create(
        cls,
        *,
        id: UUID,
        tenant_id: UUID,
        project_id: UUID,
        customer_id: UUID,
        title: str,
        description: str | None,
        assignee_id: UUID | None,
        due_date: date | None,
        now: datetime,
    ) -> Task:
        return cls(
            id=id,
            tenant_id=tenant_id,
            project_id=project_id,
            customer_id=customer_id,
            **_work_texts(title, description),
            assignee_id=assignee_id,
            due_date=due_date,
            completed=False,
            completed_at=None,
            version=1,
            created_at=now,
            updated_at=now,
        )

    def check_version(self, expected: int | None) -> None:
        check_version("task", self, expected)

    def edit(
        self,
        *,
        title: str,
        description: str | None,
        assignee_id: UUID | None,
        due_date: date | None,
        now: datetime,
    ) -> Task:
        return next_version(
            self,
            now,
            **_work_texts(title, description),
            assignee_id=assignee_id,
            due_date=due_date,
        )

    def complete(self, now: datetime) -> Task:
        if self.completed:
            raise Conflict(f"task {self.id} is already completed")
        return next_version(self, now, completed=True, completed_at=now)

    def reopen(self, now: datetime) -> Task:
        if not self.completed:
            raise Conflict(f"task {self.id} is not completed")
        return next_version(self, now, completed=False, completed_at=None)


def _work_texts(title: str, description: str | None) -> dict[str, Any]:
    """A project's or a task's title (required, one line) and description, cleaned, as its
    fields of those names; raises ValidationError naming each field at fault."""
    errors = validation.Errors()
    clean_title = validation.text(errors, "title", title, max_length=200, required=True)
    clean_description = validation.text(errors, "description", description, max_length=10_000, multiline=True)
    errors.raise_if_any()
    return {"title": clean_title or "", "description": clean_description}


@frozen
class ProjectStats:
    """The original's per-customer project counts."""

    total: int
    done: int
    in_progress: int
    overdue: int


@frozen
class TaskStats:
    """The original's per-customer task counts; ``completion_rate`` is 0.0 with no tasks."""

    total: int
    completed: int

    @property
    def completion_rate(self) -> float:
        return self.completed / self.total if self.total else 0.0
