"""Who may see and change a customer's projects and tasks, how they are listed, and the
checks their writes share.

A project or task is visible exactly when its customer is: an agent who sees only its
own customers sees only the work of those customers, whoever it is assigned to. Writing
needs ownership on top: the agent is the assignee or creator, or owns the customer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar
from uuid import UUID

from attrs import frozen

from lana_core.domain.customers import Customer
from lana_core.domain.pagination import Page
from lana_core.domain.policy import Action, Resource
from lana_core.domain.projects import Project, Task
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.errors import Conflict, NotFound, ValidationError
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import Kernel, authorize_in, counted_if
from lana_core.usecases._changing import Found, Load
from lana_core.usecases.customers import load_customer, owns


def sees_only_own(actor: Actor, settings: TenantSettings) -> bool:
    return actor.role is Role.AGENT and settings.agents_see_only_own_customers


def owns_project(actor: Actor, project: Project, customer: Customer) -> bool:
    return actor.user_id in (project.assignee_id, project.created_by) or owns(actor, customer)


def owns_task(actor: Actor, task: Task, project: Project, customer: Customer) -> bool:
    return task.assignee_id == actor.user_id or owns_project(actor, project, customer)


async def load_project(
    uow: UnitOfWork, actor: Actor, project_id: UUID, settings: TenantSettings
) -> tuple[Project, Customer]:
    """The project and its customer if the actor may read the customer; otherwise NotFound."""
    project = await uow.projects.get(project_id)
    if project is None:
        raise NotFound("project", project_id)
    try:
        customer = await load_customer(uow, actor, project.customer_id, settings)
    except NotFound:
        # Saying "customer not found" would confirm that the project exists.
        raise NotFound("project", project_id) from None
    return project, customer


async def load_task(
    uow: UnitOfWork, actor: Actor, task_id: UUID, settings: TenantSettings
) -> tuple[Task, Project, Customer]:
    """The task with its project and customer if the actor may read them; otherwise NotFound."""
    task = await uow.tasks.get(task_id)
    if task is None:
        raise NotFound("task", task_id)
    try:
        project, customer = await load_project(uow, actor, task.project_id, settings)
    except NotFound:
        raise NotFound("task", task_id) from None
    return task, project, customer


ReadWithin = Callable[[UnitOfWork, Actor, UUID, TenantSettings], Awaitable[object]]
Q = TypeVar("Q")
T = TypeVar("T")
Q_contra = TypeVar("Q_contra", contravariant=True)


class Listing(Protocol[Q_contra, T]):
    async def list(self, query: Q_contra) -> Page[T]: ...

    async def count(self, query: Q_contra) -> int: ...


@frozen(kw_only=True)
class WorkList(Generic[Q, T]):
    """How one kind of work is listed: within a customer or project a query names
    (``within``), which ``load`` reads; a restricted agent who names none is told
    ``unnamed`` on ``field``."""

    resource: Resource
    repository: Callable[[UnitOfWork], Listing[Q, T]]
    within: Callable[[Q], UUID | None]
    load: ReadWithin
    field: str
    unnamed: str


async def list_work(
    kernel: Kernel, actor: Actor, kind: WorkList[Q, T], query: Q, *, with_total: bool
) -> Page[T]:
    """One page of the work ``query`` matches, with its total when asked for.

    The customer or project the query names must be readable by the actor (NotFound). An
    agent who sees only its own customers must name one: it would otherwise list work of
    customers hidden from it (ValidationError).
    """
    async with kernel.uow(actor.tenant_id) as uow:
        settings = await authorize_in(uow, actor, Action.READ, kind.resource, owned=True)
        within = kind.within(query)
        if within is not None:
            await kind.load(uow, actor, within, settings)
        elif sees_only_own(actor, settings):
            raise ValidationError.single(kind.field, "required", kind.unnamed)
        repository = kind.repository(uow)
        return await counted_if(with_total, repository.list(query), lambda: repository.count(query))


def under_customer(actor: Actor, customer_id: UUID) -> Load[Customer]:
    """Loads the customer new work goes under: readable by the actor (NotFound), owned by
    it or not, and open (Conflict when archived)."""

    async def load(uow: UnitOfWork, settings: TenantSettings) -> Found[Customer]:
        customer = await load_customer(uow, actor, customer_id, settings)
        return Found(customer, owns(actor, customer), lambda: ensure_open(customer))

    return load


def under_project(actor: Actor, project_id: UUID) -> Load[Project]:
    """Loads the project new work goes under: readable by the actor (NotFound), owned by it
    or not, and open with its customer (Conflict when either is archived)."""

    async def load(uow: UnitOfWork, settings: TenantSettings) -> Found[Project]:
        project, customer = await load_project(uow, actor, project_id, settings)
        return Found(project, owns_project(actor, project, customer), lambda: ensure_open(customer, project))

    return load


async def check_assignee(uow: UnitOfWork, assignee_id: UUID | None) -> None:
    """Work is assigned to nobody or to an active user of the tenant; raises ValidationError."""
    if assignee_id is None:
        return
    user = await uow.users.get(assignee_id)
    if user is None or not user.active:
        raise ValidationError.single("assignee_id", "unknown_user", "must be an active user of this tenant")


def ensure_open(customer: Customer, project: Project | None = None) -> None:
    """The work of an archived customer, or in an archived project, is read-only; raises Conflict."""
    if customer.is_archived:
        raise Conflict(f"customer {customer.id} is archived; restore it before changing its work")
    if project is not None and project.archived_at is not None:
        raise Conflict(f"project {project.id} is archived")
