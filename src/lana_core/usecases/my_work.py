"""My work: the open tasks assigned to the signed-in user, soonest due first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from attrs import frozen

from lana_core.domain.customers import Customer
from lana_core.domain.policy import Action, Resource, authorize, is_allowed
from lana_core.domain.projects import Project, Task
from lana_core.domain.tenancy import Actor, TenantSettings
from lana_core.errors import ValidationError
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import UseCase, policy_settings
from lana_core.usecases.customers import owns

__all__ = ["MAX_MY_WORK", "ListMyWorkHandler", "MyWork", "WorkItem"]

MAX_MY_WORK = 200


@frozen(kw_only=True)
class WorkItem:
    """An open task with what a to-do list shows beside it."""

    task: Task
    project: Project
    customer: Customer
    overdue: bool


@frozen(kw_only=True)
class MyWork:
    """The user's open tasks on ``today``: overdue first, then by due date, undated last."""

    today: date
    items: Sequence[WorkItem]

    @property
    def overdue(self) -> int:
        return sum(1 for item in self.items if item.overdue)


class ListMyWorkHandler(UseCase):
    """The actor's open tasks: assigned to the actor, not completed, in a live project of a
    live customer the actor may read. Ordered by due date (overdue ones come first, as the
    earliest), tasks without a due date last, then oldest first; at most ``limit``.

    Any role may read the tasks assigned to it (a viewer may be named an assignee).
    Raises ValidationError (field ``limit``: not between 1 and 200).
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, limit: int = MAX_MY_WORK) -> MyWork:
        if not 1 <= limit <= MAX_MY_WORK:
            raise ValidationError.single("limit", "out_of_range", f"must be between 1 and {MAX_MY_WORK}")
        today = self._now().date()
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await policy_settings(uow, actor)
            authorize(actor, Action.READ, Resource.TASK, owned=True, settings=settings)
            tasks = await uow.tasks.open_assigned_to(actor.user_id, limit)
            items = await _items(uow, actor, settings, tasks, today)
        return MyWork(today=today, items=tuple(items))


async def _items(
    uow: UnitOfWork, actor: Actor, settings: TenantSettings, tasks: Sequence[Task], today: date
) -> list[WorkItem]:
    projects: dict[UUID, Project | None] = {}
    customers: dict[UUID, Customer | None] = {}
    items = []
    for task in tasks:
        if task.project_id not in projects:
            projects[task.project_id] = await uow.projects.get(task.project_id)
        if task.customer_id not in customers:
            customers[task.customer_id] = await uow.customers.get(task.customer_id)
        project, customer = projects[task.project_id], customers[task.customer_id]
        if project is None or customer is None:
            continue
        if not is_allowed(
            actor, Action.READ, Resource.CUSTOMER, owned=owns(actor, customer), settings=settings
        ):
            continue  # the work of a customer hidden from the actor stays hidden
        overdue = task.due_date is not None and task.due_date < today
        items.append(WorkItem(task=task, project=project, customer=customer, overdue=overdue))
    return items
