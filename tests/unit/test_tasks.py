"""Task use cases: tasks hang under a project, follow its ownership, and count towards stats."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from lana_core.domain import events
from lana_core.domain.pagination import PageRequest
from lana_core.domain.projects import Project, Task
from lana_core.domain.queries import TaskQuery
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.errors import Conflict, NotFound, PermissionDenied, StaleVersion, ValidationError
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore, ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler, GetCustomerHandler
from lana_core.usecases.projects import ArchiveProjectHandler, CreateProject, CreateProjectHandler
from lana_core.usecases.tasks import (
    CompleteTaskHandler,
    CreateTask,
    CreateTaskHandler,
    DeleteTaskHandler,
    GetTaskHandler,
    ListTasksHandler,
    ReopenTaskHandler,
    UpdateTask,
    UpdateTaskHandler,
)
from lana_core.usecases.tenants import ChangeTenantSettings, ChangeTenantSettingsHandler
from tests.support import START, make_tenant, make_user


async def new_project(kernel: Kernel, actor: Actor, owner: Actor | None = None, **fields: Any) -> Project:
    owner_id = None if owner is None else owner.user_id
    customer = await CreateCustomerHandler(kernel)(actor, CreateCustomer(name="Ada", owner_id=owner_id))
    command = CreateProject(customer_id=customer.id, title="Relaunch", **fields)
    return await CreateProjectHandler(kernel)(actor, command)


async def new_task(kernel: Kernel, actor: Actor, project_id: UUID, **fields: Any) -> Task:
    return await CreateTaskHandler(kernel)(
        actor, CreateTask(project_id=project_id, title="Draft copy", **fields)
    )


async def event_types(store: InMemoryStore, kernel: Kernel) -> list[str]:
    # A zero lease leaves the rows claimable, so every call sees the whole outbox.
    pending = await InMemoryOutboxRelayStore(store, kernel.clock).claim(1_000, 0)
    return [record.event.type for record in pending]


async def test_a_task_belongs_to_its_projects_customer(kernel: Kernel, admin: Actor) -> None:
    project = await new_project(kernel, admin)
    task = await new_task(kernel, admin, project.id, assignee_id=admin.user_id)

    assert (task.project_id, task.customer_id) == (project.id, project.customer_id)
    assert not task.completed
    page = await ListTasksHandler(kernel)(admin, TaskQuery(project_id=project.id))
    assert list(page.items) == [task]


async def test_a_task_of_an_unknown_or_foreign_project_is_not_found(kernel: Kernel, admin: Actor) -> None:
    other = await make_tenant(kernel, slug="globex")
    project = await new_project(kernel, admin)
    task = await new_task(kernel, admin, project.id)

    with pytest.raises(NotFound):
        await new_task(kernel, admin, uuid4())
    with pytest.raises(NotFound):
        await new_task(kernel, other, project.id)
    with pytest.raises(NotFound):
        await CompleteTaskHandler(kernel)(other, task.id)
    with pytest.raises(NotFound):
        await ListTasksHandler(kernel)(other, TaskQuery(project_id=project.id))


async def test_an_archived_project_takes_no_tasks_and_freezes_its_tasks(kernel: Kernel, admin: Actor) -> None:
    project = await new_project(kernel, admin)
    task = await new_task(kernel, admin, project.id)
    await ArchiveProjectHandler(kernel)(admin, project.id)

    with pytest.raises(Conflict):
        await new_task(kernel, admin, project.id)
    with pytest.raises(Conflict):
        await CompleteTaskHandler(kernel)(admin, task.id)


async def test_completing_and_reopening_publish_their_events(
    kernel: Kernel, admin: Actor, store: InMemoryStore, clock: ManualClock
) -> None:
    task = await new_task(kernel, admin, (await new_project(kernel, admin)).id)
    clock.advance(timedelta(hours=1))

    done = await CompleteTaskHandler(kernel)(admin, task.id, expected_version=1)
    assert (done.completed, done.completed_at, done.version) == (True, START + timedelta(hours=1), 2)
    reopened = await ReopenTaskHandler(kernel)(admin, task.id)
    assert (reopened.completed, reopened.completed_at) == (False, None)

    types = await event_types(store, kernel)
    assert types[-3:] == [events.TASK_CREATED, events.TASK_COMPLETED, events.TASK_REOPENED]


async def test_completing_twice_or_reopening_an_open_task_is_a_conflict(kernel: Kernel, admin: Actor) -> None:
    task = await new_task(kernel, admin, (await new_project(kernel, admin)).id)
    with pytest.raises(Conflict):
        await ReopenTaskHandler(kernel)(admin, task.id)
    await CompleteTaskHandler(kernel)(admin, task.id)
    with pytest.raises(Conflict):
        await CompleteTaskHandler(kernel)(admin, task.id)


async def test_a_stale_version_is_a_conflict_and_changes_nothing(
    kernel: Kernel, admin: Actor, store: InMemoryStore
) -> None:
    task = await new_task(kernel, admin, (await new_project(kernel, admin)).id)
    await UpdateTaskHandler(kernel)(admin, UpdateTask(task_id=task.id, title="Final copy"))
    before = await event_types(store, kernel)

    with pytest.raises(Conflict):
        await UpdateTaskHandler(kernel)(admin, UpdateTask(task_id=task.id, expected_version=1, title="Lost"))
    with pytest.raises(Conflict):
        await CompleteTaskHandler(kernel)(admin, task.id, expected_version=1)

    assert await event_types(store, kernel) == before
    async with kernel.uow(admin.tenant_id) as uow:
        stored = await uow.tasks.get(task.id)
        audited = await uow.audit.list_for_customer(task.customer_id, 200)
    assert stored is not None
    assert (stored.title, stored.completed) == ("Final copy", False)
    assert [e.action for e in audited].count(events.TASK_UPDATED) == 1


async def test_an_update_changes_only_the_fields_it_names(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    task = await new_task(kernel, admin, (await new_project(kernel, admin)).id, description="Two pages")

    updated = await UpdateTaskHandler(kernel)(admin, UpdateTask(task_id=task.id, assignee_id=agent.user_id))
    assert (updated.title, updated.description, updated.assignee_id) == (
        "Draft copy",
        "Two pages",
        agent.user_id,
    )
    with pytest.raises(ValidationError) as raised:
        await UpdateTaskHandler(kernel)(admin, UpdateTask(task_id=task.id, assignee_id=uuid4()))
    assert raised.value.errors[0].field == "assignee_id"


async def test_agents_work_on_tasks_they_are_assigned_to_or_whose_project_they_own(
    kernel: Kernel, admin: Actor
) -> None:
    owner = await make_user(kernel, admin, Role.AGENT)
    helper = await make_user(kernel, admin, Role.AGENT)
    bystander = await make_user(kernel, admin, Role.AGENT)
    project = await new_project(kernel, admin, owner=owner)

    owners_task = await new_task(kernel, owner, project.id)
    helpers_task = await new_task(kernel, owner, project.id, assignee_id=helper.user_id)

    assert (await CompleteTaskHandler(kernel)(helper, helpers_task.id)).completed
    with pytest.raises(PermissionDenied):
        await CompleteTaskHandler(kernel)(helper, owners_task.id)
    with pytest.raises(PermissionDenied):
        await new_task(kernel, bystander, project.id)


async def test_viewers_list_tasks_but_change_nothing(kernel: Kernel, admin: Actor) -> None:
    viewer = await make_user(kernel, admin, Role.VIEWER)
    project = await new_project(kernel, admin)
    task = await new_task(kernel, admin, project.id)

    page = await ListTasksHandler(kernel)(viewer, TaskQuery(project_id=project.id))
    assert [t.id for t in page.items] == [task.id]
    with pytest.raises(PermissionDenied):
        await new_task(kernel, viewer, project.id)
    with pytest.raises(PermissionDenied):
        await CompleteTaskHandler(kernel)(viewer, task.id)


async def test_restricted_agents_list_tasks_one_visible_project_at_a_time(
    kernel: Kernel, admin: Actor
) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    visible = await new_project(kernel, admin, owner=agent)
    hidden = await new_project(kernel, admin)
    hidden_task = await new_task(kernel, admin, hidden.id, assignee_id=agent.user_id)
    settings = TenantSettings(agents_see_only_own_customers=True)
    await ChangeTenantSettingsHandler(kernel)(admin, ChangeTenantSettings(settings=settings))

    assert list((await ListTasksHandler(kernel)(agent, TaskQuery(project_id=visible.id))).items) == []
    with pytest.raises(NotFound):
        await ListTasksHandler(kernel)(agent, TaskQuery(project_id=hidden.id))
    with pytest.raises(NotFound):
        await CompleteTaskHandler(kernel)(agent, hidden_task.id)
    with pytest.raises(ValidationError) as raised:
        await ListTasksHandler(kernel)(agent, TaskQuery())
    assert raised.value.errors[0].field == "project_id"


async def test_completed_tasks_count_in_the_customers_completion_rate(kernel: Kernel, admin: Actor) -> None:
    project = await new_project(kernel, admin)
    first = await new_task(kernel, admin, project.id)
    await new_task(kernel, admin, project.id)
    await CompleteTaskHandler(kernel)(admin, first.id)

    view = await GetCustomerHandler(kernel)(admin, project.customer_id)
    assert (view.task_stats.total, view.task_stats.completed) == (2, 1)
    assert view.task_stats.completion_rate == 0.5


async def test_a_task_reads_back_in_its_tenant_and_nowhere_else(kernel: Kernel, admin: Actor) -> None:
    other = await make_tenant(kernel, slug="initech")
    project = await new_project(kernel, admin)
    task = await new_task(kernel, admin, project.id)
    done = await CompleteTaskHandler(kernel)(admin, task.id)

    assert await GetTaskHandler(kernel)(admin, task.id) == done
    with pytest.raises(NotFound):
        await GetTaskHandler(kernel)(other, task.id)
    with pytest.raises(NotFound):
        await GetTaskHandler(kernel)(admin, uuid4())


async def test_deleting_a_task_removes_it_and_publishes_task_deleted(
    kernel: Kernel, admin: Actor, store: InMemoryStore
) -> None:
    project = await new_project(kernel, admin)
    task = await new_task(kernel, admin, project.id)

    await DeleteTaskHandler(kernel)(admin, task.id, expected_version=1)

    with pytest.raises(NotFound):
        await GetTaskHandler(kernel)(admin, task.id)
    with pytest.raises(NotFound):
        await DeleteTaskHandler(kernel)(admin, task.id)
    assert (await event_types(store, kernel))[-1] == events.TASK_DELETED
    assert list((await ListTasksHandler(kernel)(admin, TaskQuery(project_id=project.id))).items) == []


async def test_a_task_is_deleted_by_who_may_edit_it_and_never_at_a_stale_version(
    kernel: Kernel, admin: Actor
) -> None:
    owner = await make_user(kernel, admin, Role.AGENT)
    helper = await make_user(kernel, admin, Role.AGENT)
    viewer = await make_user(kernel, admin, Role.VIEWER)
    manager = await make_user(kernel, admin, Role.MANAGER)
    project = await new_project(kernel, admin, owner=owner)
    owners_task = await new_task(kernel, owner, project.id)
    helpers_task = await new_task(kernel, owner, project.id, assignee_id=helper.user_id)
    delete = DeleteTaskHandler(kernel)

    for refused in (helper, viewer):
        with pytest.raises(PermissionDenied):
            await delete(refused, owners_task.id)
    await UpdateTaskHandler(kernel)(owner, UpdateTask(task_id=owners_task.id, title="Final copy"))
    with pytest.raises(StaleVersion):
        await delete(manager, owners_task.id, expected_version=1)
    await delete(helper, helpers_task.id)
    await delete(manager, owners_task.id, expected_version=2)

    assert list((await ListTasksHandler(kernel)(admin, TaskQuery(project_id=project.id))).items) == []


async def test_the_tasks_of_an_archived_project_cannot_be_deleted(kernel: Kernel, admin: Actor) -> None:
    project = await new_project(kernel, admin)
    task = await new_task(kernel, admin, project.id)
    await ArchiveProjectHandler(kernel)(admin, project.id)

    with pytest.raises(Conflict):
        await DeleteTaskHandler(kernel)(admin, task.id)
    assert await GetTaskHandler(kernel)(admin, task.id) == task


async def test_a_task_list_counts_its_matches_only_when_asked(kernel: Kernel, admin: Actor) -> None:
    project = await new_project(kernel, admin)
    for _ in range(3):
        await new_task(kernel, admin, project.id)
    await new_task(kernel, admin, (await new_project(kernel, admin)).id)
    query = TaskQuery(project_id=project.id, page=PageRequest(limit=2))

    counted = await ListTasksHandler(kernel)(admin, query, with_total=True)

    assert (len(counted.items), counted.total) == (2, 3)
    assert (await ListTasksHandler(kernel)(admin, query)).total is None
