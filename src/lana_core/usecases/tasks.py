"""Task use cases: create, edit, complete, reopen, delete, list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from attrs import frozen

from lana_core.domain import events
from lana_core.domain.edits import UNSET, patched
from lana_core.domain.pagination import Page
from lana_core.domain.policy import Resource
from lana_core.domain.projects import Project, Task
from lana_core.domain.queries import TaskQuery
from lana_core.domain.tenancy import Actor, TenantSettings
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import (
    Change,
    Kernel,
    UseCase,
    changed,
    deletion,
    policy_settings,
)
from lana_core.usecases._changing import (
    Apply,
    Edit,
    Found,
    change_one,
    create_one,
    in_place,
    plainly,
    removal,
)
from lana_core.usecases.work_access import (
    WorkList,
    check_assignee,
    ensure_open,
    list_work,
    load_project,
    load_task,
    owns_task,
    under_project,
)

__all__ = [
    "CompleteTaskHandler",
    "CreateTask",
    "CreateTaskHandler",
    "DeleteTaskHandler",
    "GetTaskHandler",
    "ListTasksHandler",
    "ReopenTaskHandler",
    "UpdateTask",
    "UpdateTaskHandler",
]


@frozen(kw_only=True)
class CreateTask:
    project_id: UUID
    title: str
    description: str | None = None
    assignee_id: UUID | None = None
    due_date: date | None = None


@frozen(kw_only=True)
class UpdateTask:
    """A partial edit: fields left ``UNSET`` keep their value. ``expected_version``, when
    given, must match the stored version."""

    task_id: UUID
    expected_version: int | None = None
    title: str = UNSET
    description: str | None = UNSET
    assignee_id: UUID | None = UNSET
    due_date: date | None = UNSET


class CreateTaskHandler(UseCase):
    """Add a task to a project; the task belongs to the project's customer.

    Rules: the project is readable by the actor and neither it nor its customer is
    archived; agents add tasks only to projects they own; the assignee, if any, is an
    active user of the tenant.
    Raises ValidationError, NotFound (project), Conflict (archived), PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: CreateTask) -> Task:
        now = self._now()

        async def make(uow: UnitOfWork, project: Project) -> Task:
            task = Task.create(
                id=self._id(),
                tenant_id=actor.tenant_id,
                project_id=project.id,
                customer_id=project.customer_id,
                title=command.title,
                description=command.description,
                assignee_id=command.assignee_id,
                due_date=command.due_date,
                now=now,
            )
            await check_assignee(uow, task.assignee_id)
            return task

        return await create_one(
            self._kernel,
            actor,
            Resource.TASK,
            now,
            under_project(actor, command.project_id),
            make=make,
            store=lambda uow, created: uow.tasks.add(created),
            change=lambda created: _change(events.TASK_CREATED, created, None),
        )


class UpdateTaskHandler(UseCase):
    """Edit a task's title, description, assignee or due date.

    Rules: optimistic concurrency on ``expected_version``; tasks of archived projects or
    customers are read-only; agents edit only tasks they own (assignee, or owner of the
    project); a new assignee is an active user.
    Raises NotFound, Conflict, ValidationError, PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: UpdateTask) -> Task:
        async def edit(uow: UnitOfWork, before: Task, now: datetime) -> Task:
            assignee_id = patched(command, before, "assignee_id")
            if assignee_id != before.assignee_id:
                await check_assignee(uow, assignee_id)
            return before.edit(
                title=patched(command, before, "title"),
                description=patched(command, before, "description"),
                assignee_id=assignee_id,
                due_date=patched(command, before, "due_date"),
                now=now,
            )

        return await _change_task(
            self._kernel,
            actor,
            command.task_id,
            command.expected_version,
            _edit(events.TASK_UPDATED, edit),
        )


class _TaskStepHandler(UseCase):
    """A step in a task's life that needs nothing but the task: its subclasses name the
    ``step`` and the ``event`` it emits."""

    __slots__ = ()
    _event: ClassVar[str]
    _step: ClassVar[Callable[[Task, datetime], Task]]

    def __init_subclass__(cls, *, event: str, step: Callable[[Task, datetime], Task]) -> None:
        super().__init_subclass__()
        cls._event, cls._step = event, staticmethod(step)

    async def __call__(self, actor: Actor, task_id: UUID, expected_version: int | None = None) -> Task:
        kind = type(self)  # read off the class: its step is a plain function, not a method
        edit = _edit(kind._event, plainly(kind._step))
        return await _change_task(self._kernel, actor, task_id, expected_version, edit)


class CompleteTaskHandler(_TaskStepHandler, event=events.TASK_COMPLETED, step=Task.complete):
    """Mark a task done and stamp ``completed_at``; emits ``task.completed``.

    Raises NotFound, Conflict (already completed, stale version, archived), PermissionDenied.
    """

    __slots__ = ()


class ReopenTaskHandler(_TaskStepHandler, event=events.TASK_REOPENED, step=Task.reopen):
    """Mark a completed task as not done again; emits ``task.reopened``.

    Raises NotFound, Conflict (not completed, stale version, archived), PermissionDenied.
    """

    __slots__ = ()


class DeleteTaskHandler(UseCase):
    """Delete a task for good; emits ``task.deleted``, whose payload is the task as it was.

    Rules: those of an edit: optimistic concurrency on ``expected_version``; tasks of
    archived projects or customers are read-only; agents delete only tasks they own
    (assignee, or owner of the project). The audit trail keeps the task's history.
    Raises NotFound, Conflict (stale version, archived), PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, task_id: UUID, expected_version: int | None = None) -> None:
        await _change_task(
            self._kernel,
            actor,
            task_id,
            expected_version,
            removal(_delete, lambda task: deletion(events.TASK_DELETED, "task", task, task.customer_id)),
        )


class GetTaskHandler(UseCase):
    """Read one task. Raises NotFound (also when its project's customer is hidden)."""

    __slots__ = ()

    async def __call__(self, actor: Actor, task_id: UUID) -> Task:
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await policy_settings(uow, actor)
            task, _, _ = await load_task(uow, actor, task_id, settings)
            return task


class ListTasksHandler(UseCase):
    """List tasks matching a query, oldest first, one page at a time.

    Rules: a named project must be readable by the actor. An agent who sees only its own
    customers lists tasks one project at a time: the query must name a project of one
    of its customers.
    ``with_total`` also counts every match (``Page.total``).
    Raises NotFound (project), ValidationError (bad cursor or limit; project missing from
    a restricted agent's query).
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, query: TaskQuery, *, with_total: bool = False) -> Page[Task]:
        return await list_work(self._kernel, actor, _LISTED, query, with_total=with_total)


_LISTED: WorkList[TaskQuery, Task] = WorkList(
    resource=Resource.TASK,
    repository=lambda uow: uow.tasks,
    within=lambda query: query.project_id,
    load=load_project,
    field="project_id",
    unnamed="name a project of one of your customers to list its tasks",
)


async def _change_task(
    kernel: Kernel, actor: Actor, task_id: UUID, expected_version: int | None, edit: Edit[Task]
) -> Task:
    """:func:`change_one` for one task of an open project and customer."""

    async def load(uow: UnitOfWork, settings: TenantSettings) -> Found[Task]:
        task, project, customer = await load_task(uow, actor, task_id, settings)
        owned = owns_task(actor, task, project, customer)
        return Found(task, owned, lambda: ensure_open(customer, project))

    return await change_one(kernel, actor, Resource.TASK, load, expected_version, edit=edit)


def _edit(event_type: str, apply: Apply[Task]) -> Edit[Task]:
    return in_place(event_type, apply, store=_update, record=_change)


async def _update(uow: UnitOfWork, task: Task) -> None:
    await uow.tasks.update(task)


async def _delete(uow: UnitOfWork, task: Task) -> None:
    await uow.tasks.delete(task)


def _change(event_type: str, task: Task, before: Task | None) -> Change:
    return changed(event_type, "task", task, before, task.customer_id)
