"""Project use cases: create, read, edit, move along the board, archive, list."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from attrs import evolve, frozen

from lana_core.domain import events
from lana_core.domain.customers import Customer
from lana_core.domain.edits import UNSET, patched
from lana_core.domain.pagination import Page
from lana_core.domain.policy import Action, Resource
from lana_core.domain.projects import Priority, Project, ProjectStatus
from lana_core.domain.queries import ProjectQuery
from lana_core.domain.tenancy import Actor, TenantSettings
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import (
    Change,
    Kernel,
    UseCase,
    changed,
    policy_settings,
)
from lana_core.usecases._changing import Apply, Edit, Found, change_one, create_one, in_place, plainly
from lana_core.usecases.customers import load_customer
from lana_core.usecases.work_access import (
    WorkList,
    check_assignee,
    ensure_open,
    list_work,
    load_project,
    owns_project,
    under_customer,
)

__all__ = [
    "ArchiveProjectHandler",
    "ChangeProjectStatus",
    "ChangeProjectStatusHandler",
    "CreateProject",
    "CreateProjectHandler",
    "GetProjectHandler",
    "ListProjectsHandler",
    "UpdateProject",
    "UpdateProjectHandler",
]


@frozen(kw_only=True)
class CreateProject:
    customer_id: UUID
    title: str
    description: str | None = None
    priority: Priority = Priority.MEDIUM
    due_date: date | None = None
    assignee_id: UUID | None = None


@frozen(kw_only=True)
class UpdateProject:
    """A partial edit: fields left ``UNSET`` keep their value. ``expected_version``, when
    given, must match the stored version."""

    project_id: UUID
    expected_version: int | None = None
    title: str = UNSET
    description: str | None = UNSET
    priority: Priority = UNSET
    due_date: date | None = UNSET
    assignee_id: UUID | None = UNSET


@frozen(kw_only=True)
class ChangeProjectStatus:
    project_id: UUID
    status: ProjectStatus
    expected_version: int | None = None


class CreateProjectHandler(UseCase):
    """Create a project for a customer, created by the actor, in status TODO.

    Rules: the customer exists in the tenant, is readable by the actor and is not
    archived; agents create projects only on customers they own; the assignee, if any,
    is an active user of the tenant.
    Raises ValidationError, NotFound (customer), Conflict (archived customer), PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: CreateProject) -> Project:
        now = self._now()
        project = Project.create(
            id=self._id(),
            tenant_id=actor.tenant_id,
            customer_id=command.customer_id,
            title=command.title,
            description=command.description,
            priority=command.priority,
            due_date=command.due_date,
            assignee_id=command.assignee_id,
            created_by=actor.user_id,
            now=now,
        )

        async def assigned(uow: UnitOfWork, customer: Customer) -> Project:
            await check_assignee(uow, project.assignee_id)
            return project

        return await create_one(
            self._kernel,
            actor,
            Resource.PROJECT,
            now,
            under_customer(actor, command.customer_id),
            make=assigned,
            store=lambda uow, created: uow.projects.add(created),
            change=lambda created: _change(events.PROJECT_CREATED, created, None),
        )


class GetProjectHandler(UseCase):
    """Read one project, archived or not. Raises NotFound (also when its customer is hidden)."""

    __slots__ = ()

    async def __call__(self, actor: Actor, project_id: UUID) -> Project:
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await policy_settings(uow, actor)
            project, _ = await load_project(uow, actor, project_id, settings)
            return project


class ListProjectsHandler(UseCase):
    """List live projects matching a query, one page at a time.

    Rules: a named customer must be readable by the actor. An agent who sees only its
    own customers lists projects one customer at a time: the query must name a customer
    the agent owns, so it never sees work of customers hidden from it.
    ``with_total`` also counts every match (``Page.total``).
    Raises NotFound (customer), ValidationError (bad cursor or limit; customer missing
    from a restricted agent's query).
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, query: ProjectQuery, *, with_total: bool = False) -> Page[Project]:
        return await list_work(self._kernel, actor, _LISTED, query, with_total=with_total)


class UpdateProjectHandler(UseCase):
    """Edit a project's title, description, priority, due date or assignee.

    Rules: optimistic concurrency on ``expected_version``; archived projects and the
    projects of archived customers are read-only; agents edit only projects they own
    (assignee, creator or owner of the customer); a new assignee is an active user.
    Raises NotFound, Conflict, ValidationError, PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: UpdateProject) -> Project:
        async def edit(uow: UnitOfWork, before: Project, now: datetime) -> Project:
            assignee_id = patched(command, before, "assignee_id")
            if assignee_id != before.assignee_id:
                await check_assignee(uow, assignee_id)
            return before.edit(
                title=patched(command, before, "title"),
                description=patched(command, before, "description"),
                priority=patched(command, before, "priority"),
                due_date=patched(command, before, "due_date"),
                assignee_id=assignee_id,
                now=now,
            )

        return await _change_project(
            self._kernel,
            actor,
            command.project_id,
            command.expected_version,
            _edit(events.PROJECT_UPDATED, edit),
        )


class ChangeProjectStatusHandler(UseCase):
    """Move a project along its board (see ``PROJECT_TRANSITIONS``); DONE stamps ``completed_at``.

    The ``project.status_changed`` event carries ``from`` and ``to`` in its payload.
    Raises NotFound, Conflict (stale version, archived), ValidationError (field ``status``:
    illegal move), PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: ChangeProjectStatus) -> Project:
        return await _change_project(
            self._kernel,
            actor,
            command.project_id,
            command.expected_version,
            _edit(
                events.PROJECT_STATUS_CHANGED,
                plainly(lambda project, now: project.move_to(command.status, now)),
            ),
        )


class ArchiveProjectHandler(UseCase):
    """Soft-delete a project: gone from lists and stats, kept for the customer's history.

    Raises NotFound, Conflict (already archived, stale version, archived customer),
    PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, project_id: UUID, expected_version: int | None = None) -> Project:
        archive = plainly(Project.archive)
        return await _change_project(
            self._kernel,
            actor,
            project_id,
            expected_version,
            _edit(events.PROJECT_ARCHIVED, archive, Action.DELETE),
        )


_LISTED: WorkList[ProjectQuery, Project] = WorkList(
    resource=Resource.PROJECT,
    repository=lambda uow: uow.projects,
    within=lambda query: query.customer_id,
    load=load_customer,
    field="customer_id",
    unnamed="name one of your customers to list its projects",
)


async def _change_project(
    kernel: Kernel, actor: Actor, project_id: UUID, expected_version: int | None, edit: Edit[Project]
) -> Project:
    """:func:`change_one` for one project of an open customer."""

    async def load(uow: UnitOfWork, settings: TenantSettings) -> Found[Project]:
        project, customer = await load_project(uow, actor, project_id, settings)
        return Found(project, owns_project(actor, project, customer), lambda: ensure_open(customer))

    return await change_one(kernel, actor, Resource.PROJECT, load, expected_version, edit=edit)


def _edit(event_type: str, apply: Apply[Project], action: Action = Action.UPDATE) -> Edit[Project]:
    return in_place(event_type, apply, store=_update, record=_change, action=action)


async def _update(uow: UnitOfWork, project: Project) -> None:
    await uow.projects.update(project)


def _change(event_type: str, project: Project, before: Project | None) -> Change:
    change = changed(event_type, "project", project, before, project.customer_id)
    if event_type == events.PROJECT_STATUS_CHANGED and before is not None:
        moved = {"from": before.status.value, "to": project.status.value}
        return evolve(change, payload={**change.after, **moved})
    return change
