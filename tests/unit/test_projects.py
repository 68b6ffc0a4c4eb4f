"""Project use cases: creation rules, ownership, the status board, versions, lists."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lana_core.domain import events
from lana_core.domain.pagination import PageRequest
from lana_core.domain.projects import PROJECT_TRANSITIONS, Priority, Project, ProjectStatus
from lana_core.domain.queries import ProjectQuery
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore, ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import (
    ArchiveCustomerHandler,
    CreateCustomer,
    CreateCustomerHandler,
    GetCustomerHandler,
)
from lana_core.usecases.projects import (
    ArchiveProjectHandler,
    ChangeProjectStatus,
    ChangeProjectStatusHandler,
    CreateProject,
    CreateProjectHandler,
    GetProjectHandler,
    ListProjectsHandler,
    UpdateProject,
    UpdateProjectHandler,
)
from lana_core.usecases.tenants import (
    ChangeTenantSettings,
    ChangeTenantSettingsHandler,
    DeactivateUserHandler,
)
from tests.support import START, make_kernel, make_tenant, make_user


async def new_customer(kernel: Kernel, actor: Actor, owner: Actor | None = None) -> UUID:
    owner_id = None if owner is None else owner.user_id
    customer = await CreateCustomerHandler(kernel)(actor, CreateCustomer(name="Ada", owner_id=owner_id))
    return customer.id


async def new_project(kernel: Kernel, actor: Actor, customer_id: UUID, **fields: Any) -> Project:
    command = CreateProject(customer_id=customer_id, title="Website relaunch", **fields)
    return await CreateProjectHandler(kernel)(actor, command)


async def move(kernel: Kernel, actor: Actor, project: Project, *statuses: ProjectStatus) -> Project:
    for status in statuses:
        command = ChangeProjectStatus(project_id=project.id, status=status)
        project = await ChangeProjectStatusHandler(kernel)(actor, command)
    return project


async def audit_actions(kernel: Kernel, actor: Actor, customer_id: UUID) -> list[str]:
    async with kernel.uow(actor.tenant_id) as uow:
        entries = await uow.audit.list_for_customer(customer_id, 200)
    return [entry.action for entry in entries]


async def restrict_agents(kernel: Kernel, admin: Actor) -> None:
    settings = TenantSettings(agents_see_only_own_customers=True)
    await ChangeTenantSettingsHandler(kernel)(admin, ChangeTenantSettings(settings=settings))


async def test_a_new_project_starts_in_todo_created_by_the_actor(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    project = await new_project(kernel, admin, customer_id, priority=Priority.HIGH, assignee_id=admin.user_id)

    assert project.status is ProjectStatus.TODO
    assert project.created_by == admin.user_id
    assert project.version == 1
    assert await GetProjectHandler(kernel)(admin, project.id) == project
    assert events.PROJECT_CREATED in await audit_actions(kernel, admin, customer_id)


async def test_a_project_needs_a_title(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    with pytest.raises(ValidationError) as raised:
        await CreateProjectHandler(kernel)(admin, CreateProject(customer_id=customer_id, title="  "))
    assert [e.field for e in raised.value.errors] == ["title"]


async def test_a_project_of_an_unknown_customer_is_not_found(kernel: Kernel, admin: Actor) -> None:
    with pytest.raises(NotFound):
        await new_project(kernel, admin, uuid4())


async def test_another_tenants_customer_and_project_are_not_found(kernel: Kernel, admin: Actor) -> None:
    other = await make_tenant(kernel, slug="globex")
    customer_id = await new_customer(kernel, admin)
    project = await new_project(kernel, admin, customer_id)

    with pytest.raises(NotFound):
        await new_project(kernel, other, customer_id)
    with pytest.raises(NotFound):
        await GetProjectHandler(kernel)(other, project.id)
    with pytest.raises(NotFound):
        await ChangeProjectStatusHandler(kernel)(
            other, ChangeProjectStatus(project_id=project.id, status=ProjectStatus.IN_PROGRESS)
        )
    with pytest.raises(NotFound):
        await ListProjectsHandler(kernel)(other, ProjectQuery(customer_id=customer_id))


async def test_an_archived_customer_takes_no_new_projects(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    await ArchiveCustomerHandler(kernel)(admin, customer_id)
    with pytest.raises(Conflict):
        await new_project(kernel, admin, customer_id)


async def test_the_assignee_must_be_an_active_user_of_the_tenant(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    leaver = await make_user(kernel, admin, Role.AGENT)
    await DeactivateUserHandler(kernel)(admin, leaver.user_id)
    foreigner = await make_tenant(kernel, slug="globex")

    for assignee in (uuid4(), leaver.user_id, foreigner.user_id):
        with pytest.raises(ValidationError) as raised:
            await new_project(kernel, admin, customer_id, assignee_id=assignee)
        assert raised.value.errors[0].field == "assignee_id"


async def test_agents_create_projects_only_on_customers_they_own(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    theirs = await new_customer(kernel, admin, owner=agent)
    someone_elses = await new_customer(kernel, admin)

    project = await new_project(kernel, agent, theirs)
    assert project.created_by == agent.user_id
    with pytest.raises(PermissionDenied):
        await new_project(kernel, agent, someone_elses)


async def test_viewers_read_projects_but_change_nothing(kernel: Kernel, admin: Actor) -> None:
    viewer = await make_user(kernel, admin, Role.VIEWER)
    customer_id = await new_customer(kernel, admin)
    project = await new_project(kernel, admin, customer_id)

    assert await GetProjectHandler(kernel)(viewer, project.id) == project
    with pytest.raises(PermissionDenied):
        await new_project(kernel, viewer, customer_id)
    with pytest.raises(PermissionDenied):
        await UpdateProjectHandler(kernel)(viewer, UpdateProject(project_id=project.id, title="Mine"))
    with pytest.raises(PermissionDenied):
        await ArchiveProjectHandler(kernel)(viewer, project.id)


async def test_agents_change_projects_they_are_assigned_to_or_created(kernel: Kernel, admin: Actor) -> None:
    assignee = await make_user(kernel, admin, Role.AGENT)
    bystander = await make_user(kernel, admin, Role.AGENT)
    customer_id = await new_customer(kernel, admin)
    project = await new_project(kernel, admin, customer_id, assignee_id=assignee.user_id)

    moved = await move(kernel, assignee, project, ProjectStatus.IN_PROGRESS)
    assert moved.status is ProjectStatus.IN_PROGRESS
    with pytest.raises(PermissionDenied):
        await move(kernel, bystander, moved, ProjectStatus.REVIEW)


async def test_an_update_changes_only_the_fields_it_names(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    due = date(2026, 3, 1)
    project = await new_project(kernel, admin, customer_id, description="Old site", due_date=due)

    command = UpdateProject(project_id=project.id, expected_version=1, title="New site", description=None)
    updated = await UpdateProjectHandler(kernel)(admin, command)

    assert (updated.title, updated.description, updated.due_date) == ("New site", None, due)
    assert updated.priority is Priority.MEDIUM
    assert updated.version == 2


async def test_a_change_against_a_stale_version_is_a_conflict(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    project = await new_project(kernel, admin, customer_id)
    await UpdateProjectHandler(kernel)(admin, UpdateProject(project_id=project.id, title="First"))

    with pytest.raises(Conflict):
        await UpdateProjectHandler(kernel)(admin, UpdateProject(project_id=project.id, expected_version=1))
    with pytest.raises(Conflict):
        await ChangeProjectStatusHandler(kernel)(
            admin,
            ChangeProjectStatus(project_id=project.id, status=ProjectStatus.IN_PROGRESS, expected_version=1),
        )
    assert (await GetProjectHandler(kernel)(admin, project.id)).title == "First"


async def test_a_status_change_publishes_where_the_project_came_from_and_went(
    kernel: Kernel, admin: Actor, store: InMemoryStore
) -> None:
    customer_id = await new_customer(kernel, admin)
    project = await new_project(kernel, admin, customer_id)
    await move(kernel, admin, project, ProjectStatus.IN_PROGRESS)

    pending = await InMemoryOutboxRelayStore(store, kernel.clock).claim(100, 30)
    changed = [r.event for r in pending if r.event.type == events.PROJECT_STATUS_CHANGED]
    assert len(changed) == 1
    assert changed[0].payload["from"] == "todo"
    assert changed[0].payload["to"] == "in_progress"
    assert changed[0].aggregate_version == 2


async def test_an_illegal_move_is_refused_on_the_status_field(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    project = await new_project(kernel, admin, customer_id)
    with pytest.raises(ValidationError) as raised:
        await move(kernel, admin, project, ProjectStatus.DONE)
    assert raised.value.errors[0].field == "status"


async def test_a_failed_command_leaves_no_outbox_or_audit_rows(
    kernel: Kernel, admin: Actor, store: InMemoryStore
) -> None:
    customer_id = await new_customer(kernel, admin)
    project = await new_project(kernel, admin, customer_id)
    relay = InMemoryOutboxRelayStore(store, kernel.clock)
    pending, audited = await relay.pending_count(), await audit_actions(kernel, admin, customer_id)

    with pytest.raises(ValidationError):
        await move(kernel, admin, project, ProjectStatus.REVIEW)
    with pytest.raises(Conflict):
        await UpdateProjectHandler(kernel)(admin, UpdateProject(project_id=project.id, expected_version=7))
    with pytest.raises(ValidationError):
        await new_project(kernel, admin, customer_id, assignee_id=uuid4())

    assert await relay.pending_count() == pending
    assert await audit_actions(kernel, admin, customer_id) == audited


async def test_done_stamps_completed_at_and_reopening_clears_it(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    project = await new_project(kernel, admin, customer_id)
    done = await move(
        kernel, admin, project, ProjectStatus.IN_PROGRESS, ProjectStatus.REVIEW, ProjectStatus.DONE
    )
    assert done.completed_at == START

    reopened = await move(kernel, admin, done, ProjectStatus.IN_PROGRESS)
    assert reopened.completed_at is None
    view = await GetCustomerHandler(kernel)(admin, customer_id)
    assert (view.project_stats.in_progress, view.project_stats.done) == (1, 0)


async def test_an_archived_project_is_read_only_and_leaves_the_lists(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    kept = await new_project(kernel, admin, customer_id)
    archived = await ArchiveProjectHandler(kernel)(admin, (await new_project(kernel, admin, customer_id)).id)

    page = await ListProjectsHandler(kernel)(admin, ProjectQuery(customer_id=customer_id))
    assert [p.id for p in page.items] == [kept.id]
    assert (await GetProjectHandler(kernel)(admin, archived.id)).archived_at == START
    with pytest.raises(Conflict):
        await ArchiveProjectHandler(kernel)(admin, archived.id)
    with pytest.raises(Conflict):
        await move(kernel, admin, archived, ProjectStatus.IN_PROGRESS)


async def test_projects_of_an_archived_customer_are_read_only(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    project = await new_project(kernel, admin, customer_id)
    await ArchiveCustomerHandler(kernel)(admin, customer_id)
    with pytest.raises(Conflict):
        await UpdateProjectHandler(kernel)(admin, UpdateProject(project_id=project.id, title="Later"))


async def test_lists_filter_by_customer_and_page_through_results(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    mine, theirs = await new_customer(kernel, admin), await new_customer(kernel, admin)
    ids: set[UUID] = set()
    for _ in range(3):
        ids.add((await new_project(kernel, admin, mine)).id)
        clock.advance(timedelta(minutes=1))
    await new_project(kernel, admin, theirs)

    first = await ListProjectsHandler(kernel)(
        admin, ProjectQuery(customer_id=mine, page=PageRequest(limit=2))
    )
    second = await ListProjectsHandler(kernel)(
        admin, ProjectQuery(customer_id=mine, page=PageRequest.of(2, first.next_cursor))
    )
    assert {p.id for p in (*first.items, *second.items)} == ids
    assert second.next_cursor is None


async def test_restricted_agents_see_only_projects_of_their_own_customers(
    kernel: Kernel, admin: Actor
) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    theirs = await new_customer(kernel, admin, owner=agent)
    hidden = await new_customer(kernel, admin)
    own_project = await new_project(kernel, admin, theirs)
    hidden_project = await new_project(kernel, admin, hidden, assignee_id=agent.user_id)
    await restrict_agents(kernel, admin)

    page = await ListProjectsHandler(kernel)(agent, ProjectQuery(customer_id=theirs))
    assert [p.id for p in page.items] == [own_project.id]
    with pytest.raises(NotFound):
        await ListProjectsHandler(kernel)(agent, ProjectQuery(customer_id=hidden))
    with pytest.raises(NotFound):
        await GetProjectHandler(kernel)(agent, hidden_project.id)
    with pytest.raises(ValidationError) as raised:
        await ListProjectsHandler(kernel)(agent, ProjectQuery())
    assert raised.value.errors[0].field == "customer_id"


async def test_unrestricted_agents_list_every_project(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    project = await new_project(kernel, admin, await new_customer(kernel, admin))
    page = await ListProjectsHandler(kernel)(agent, ProjectQuery())
    assert [p.id for p in page.items] == [project.id]


@given(st.lists(st.sampled_from(list(ProjectStatus)), max_size=12))
async def test_no_sequence_of_moves_leaves_the_board(targets: list[ProjectStatus]) -> None:
    kernel = make_kernel(clock=ManualClock(START))
    admin = await make_tenant(kernel)
    project = await new_project(kernel, admin, await new_customer(kernel, admin))
    handler = ChangeProjectStatusHandler(kernel)
    for target in targets:
        legal = target in PROJECT_TRANSITIONS[project.status]
        try:
            moved = await handler(admin, ChangeProjectStatus(project_id=project.id, status=target))
        except ValidationError:
            assert not legal
            assert await GetProjectHandler(kernel)(admin, project.id) == project
            continue
        assert legal
        assert (moved.status, moved.version) == (target, project.version + 1)
        assert (moved.completed_at is not None) == (moved.status is ProjectStatus.DONE)
        project = moved
    async with kernel.uow(admin.tenant_id) as uow:
        entries = await uow.audit.list_for_customer(project.customer_id, 200)
    moves = [
        (ProjectStatus(change.old), ProjectStatus(change.new))
        for entry in entries
        if entry.action == events.PROJECT_STATUS_CHANGED
        for change in entry.changes
        if change.field == "status"
    ]
    assert len(moves) == project.version - 1
    assert all(to in PROJECT_TRANSITIONS[came_from] for came_from, to in moves)


async def test_a_project_list_counts_its_live_matches_only_when_asked(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    made = [await new_project(kernel, admin, customer_id) for _ in range(3)]
    await ArchiveProjectHandler(kernel)(admin, made[0].id)
    await new_project(kernel, admin, await new_customer(kernel, admin))
    query = ProjectQuery(customer_id=customer_id, page=PageRequest(limit=1))

    counted = await ListProjectsHandler(kernel)(admin, query, with_total=True)

    assert (len(counted.items), counted.total) == (1, 2)
    assert (await ListProjectsHandler(kernel)(admin, query)).total is None
