"""Project use cases: create, read, edit, move along the board, archive, list."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from attrs import evolve, frozen

from lana_core.domain import events
from lana_core.domain.pagination import Page
from lana_core.domain.policy import Action, Resource, authorize
from lana_core.domain.projects import Priority, Project, ProjectStatus
from lana_core.domain.queries import ProjectQuery
from lana_core.domain.tenancy import Actor
from lana_core.errors import ValidationError
from lana_core.usecases._base import Change, UseCase, authorize_in, policy_settings, record, snapshot
from lana_core.usecases.caching import stale_namespaces
from lana_core.usecases.customers import UNSET, load_customer, owns
from lana_core.usecases.work_access import (
    check_assignee,
    ensure_open,
    load_project,
    owns_project,
    patched,
    sees_only_own,
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
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await authorize_in(uow, actor, Action.CREATE, Resource.PROJECT, owned=True)
            customer = await load_customer(uow, actor, command.customer_id, settings)
            authorize(actor, Action.CREATE, Resource.PROJECT, owned=owns(actor, customer), settings=settings)
            ensure_open(customer)
            await check_assignee(uow, project.assignee_id)
            await uow.projects.add(project)
            await record(uow, self._kernel, actor, now, _change(events.PROJECT_CREATED, project, None))
            await uow.commit()
        await self._kernel.cache.invalidate(actor.tenant_id, stale_namespaces([events.PROJECT_CREATED]))
        return project


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
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await authorize_in(uow, actor, Action.READ, Resource.PROJECT, owned=True)
            if query.customer_id is not None:
                await load_customer(uow, actor, query.customer_id, settings)
            elif sees_only_own(actor, settings):
                raise ValidationError.single(
                    "customer_id", "required", "name one of your customers to list its projects"
                )
            page = await uow.projects.list(query)
            if with_total:
                page = evolve(page, total=await uow.projects.count(query))
            return page


class UpdateProjectHandler(UseCase):
    """Edit a project's title, description, priority, due date or assignee.

    Rules: optimistic concurrency on ``expected_version``; archived projects and the
    projects of archived customers are read-only; agents edit only projects they own
    (assignee, creator or owner of the customer); a new assignee is an active user.
    Raises NotFound, Conflict, ValidationError, PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: UpdateProject) -> Project:
        now = self._now()
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await policy_settings(uow, actor)
            before, customer = await load_project(uow, actor, command.project_id, settings)
            owned = owns_project(actor, before, customer)
            authorize(actor, Action.UPDATE, Resource.PROJECT, owned=owned, settings=settings)
            before.check_version(command.expected_version)
            ensure_open(customer)
            assignee_id = patched(command, before, "assignee_id")
            if assignee_id != before.assignee_id:
                await check_assignee(uow, assignee_id)
            after = before.edit(
                title=patched(command, before, "title"),
                description=patched(command, before, "description"),
                priority=patched(command, before, "priority"),
                due_date=patched(command, before, "due_date"),
                assignee_id=assignee_id,
                now=now,
            )
            await uow.projects.update(after)
            await record(uow, self._kernel, actor, now, _change(events.PROJECT_UPDATED, after, before))
            await uow.commit()
        await self._kernel.cache.invalidate(actor.tenant_id, stale_namespaces([events.PROJECT_UPDATED]))
        return after


class ChangeProjectStatusHandler(UseCase):
    """Move a project along its board (see ``PROJECT_TRANSITIONS``); DONE stamps ``completed_at``.

    The ``project.status_changed`` event carries ``from`` and ``to`` in its payload.
    Raises NotFound, Conflict (stale version, archived), ValidationError (field ``status``:
    illegal move), PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: ChangeProjectStatus) -> Project:
        return await _transition(
            self,
            actor,
            project_id=command.project_id,
            expected_version=command.expected_version,
            event_type=events.PROJECT_STATUS_CHANGED,
            apply=lambda project, now: project.move_to(command.status, now),
        )


class ArchiveProjectHandler(UseCase):
    """Soft-delete a project: gone from lists and stats, kept for the customer's history.

    Raises NotFound, Conflict (already archived, stale version, archived customer),
    PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, project_id: UUID, expected_version: int | None = None) -> Project:
        return await _transition(
            self,
            actor,
            project_id=project_id,
            expected_version=expected_version,
            event_type=events.PROJECT_ARCHIVED,
            apply=lambda project, now: project.archive(now),
        )


async def _transition(
    use_case: UseCase,
    actor: Actor,
    *,
    project_id: UUID,
    expected_version: int | None,
    event_type: str,
    apply: Callable[[Project, datetime], Project],
) -> Project:
    kernel = use_case._kernel
    now = kernel.clock.now()
    async with kernel.uow(actor.tenant_id) as uow:
        settings = await policy_settings(uow, actor)
        before, customer = await load_project(uow, actor, project_id, settings)
        action = Action.DELETE if event_type == events.PROJECT_ARCHIVED else Action.UPDATE
        owned = owns_project(actor, before, customer)
        authorize(actor, action, Resource.PROJECT, owned=owned, settings=settings)
        before.check_version(expected_version)
        ensure_open(customer)
        after = apply(before, now)
        await uow.projects.update(after)
        await record(uow, kernel, actor, now, _change(event_type, after, before))
        await uow.commit()
    await kernel.cache.invalidate(actor.tenant_id, stale_namespaces([event_type]))
    return after


def _change(event_type: str, project: Project, before: Project | None) -> Change:
    after = snapshot(project)
    payload: Mapping[str, Any] | None = None
    if event_type == events.PROJECT_STATUS_CHANGED and before is not None:
        payload = {**after, "from": before.status.value, "to": project.status.value}
    return Change(
        event_type=event_type,
        aggregate_type="project",
        aggregate_id=project.id,
        aggregate_version=project.version,
        customer_id=project.customer_id,
        before=None if before is None else snapshot(before),
        after=after,
        payload=payload,
    )
