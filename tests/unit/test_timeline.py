"""The customer timeline: changes and interactions merged newest first, bounded, readable."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from lana_core.domain import events
from lana_core.domain.customers import CustomerValue
from lana_core.domain.interactions import Interaction, InteractionType
from lana_core.domain.pagination import PageRequest
from lana_core.domain.projects import ProjectStatus
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.errors import NotFound, ValidationError
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from lana_core.usecases.interactions import RecordInteraction, RecordInteractionHandler
from lana_core.usecases.projects import (
    ChangeProjectStatus,
    ChangeProjectStatusHandler,
    CreateProject,
    CreateProjectHandler,
)
from lana_core.usecases.tasks import CompleteTaskHandler, CreateTask, CreateTaskHandler
from lana_core.usecases.tenants import ChangeTenantSettings, ChangeTenantSettingsHandler
from lana_core.usecases.timeline import GetTimelineHandler, TimelineEntry, TimelineKind
from tests.support import START, make_tenant, make_user


async def timeline_of(kernel: Kernel, actor: Actor, customer_id: UUID, limit: int) -> list[TimelineEntry]:
    page = await GetTimelineHandler(kernel)(actor, customer_id, PageRequest(limit=limit))
    return list(page.items)


async def new_customer(kernel: Kernel, actor: Actor, value: CustomerValue = CustomerValue.MEDIUM) -> UUID:
    customer = await CreateCustomerHandler(kernel)(actor, CreateCustomer(name="Ada", value=value))
    return customer.id


async def call(kernel: Kernel, actor: Actor, customer_id: UUID, *, days_ago: int = 0) -> Interaction:
    command = RecordInteraction(
        customer_id=customer_id,
        type=InteractionType.CALL,
        subject="Kickoff",
        occurred_at=kernel.clock.now() - timedelta(days=days_ago),
    )
    return await RecordInteractionHandler(kernel)(actor, command)


async def test_changes_and_interactions_merge_newest_first(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer_id = await new_customer(kernel, admin)
    clock.advance(timedelta(hours=1))
    project = await CreateProjectHandler(kernel)(
        admin, CreateProject(customer_id=customer_id, title="Relaunch")
    )
    clock.advance(timedelta(hours=1))
    kickoff = await call(kernel, admin, customer_id)
    clock.advance(timedelta(hours=1))
    await ChangeProjectStatusHandler(kernel)(
        admin, ChangeProjectStatus(project_id=project.id, status=ProjectStatus.IN_PROGRESS)
    )

    timeline = await timeline_of(kernel, admin, customer_id, 10)

    assert [(e.kind, e.summary) for e in timeline] == [
        (TimelineKind.AUDIT, "Project status changed from todo to in_progress"),
        (TimelineKind.INTERACTION, "Call: Kickoff"),
        (TimelineKind.AUDIT, "Project created: Relaunch"),
        (TimelineKind.AUDIT, "Customer created: Ada"),
    ]
    assert [e.occurred_at for e in timeline] == [START + timedelta(hours=h) for h in (3, 2, 1, 0)]
    assert timeline[1].interaction == kickoff
    assert timeline[1].actor_id == admin.user_id
    assert {c.field: c.new for c in timeline[0].changes}["status"] == "in_progress"


async def test_an_interaction_stands_for_its_own_audit_entry(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    kickoff = await call(kernel, admin, customer_id)

    timeline = await timeline_of(kernel, admin, customer_id, 10)

    assert [e.kind for e in timeline if e.aggregate_id == kickoff.id] == [TimelineKind.INTERACTION]
    assert all(e.aggregate_type != "interaction" for e in timeline if e.kind is TimelineKind.AUDIT)


async def test_the_limit_keeps_the_newest_entries(kernel: Kernel, admin: Actor, clock: ManualClock) -> None:
    customer_id = await new_customer(kernel, admin)
    for _ in range(4):
        clock.advance(timedelta(minutes=5))
        await call(kernel, admin, customer_id)

    timeline = await timeline_of(kernel, admin, customer_id, 3)

    assert [e.occurred_at for e in timeline] == [START + timedelta(minutes=m) for m in (20, 15, 10)]


async def test_many_backdated_interactions_do_not_push_recent_changes_out(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer_id = await new_customer(kernel, admin)
    clock.advance(timedelta(hours=1))
    for days in range(10, 15):
        await call(kernel, admin, customer_id, days_ago=days)

    timeline = await timeline_of(kernel, admin, customer_id, 3)

    assert [e.action for e in timeline] == [events.CUSTOMER_CREATED, *[events.INTERACTION_RECORDED] * 2]


async def test_entries_at_the_same_instant_always_read_in_the_same_order(
    kernel: Kernel, admin: Actor
) -> None:
    customer_id = await new_customer(kernel, admin, value=CustomerValue.HIGH)
    await call(kernel, admin, customer_id)

    first = await timeline_of(kernel, admin, customer_id, 10)
    again = await timeline_of(kernel, admin, customer_id, 10)

    assert len({e.occurred_at for e in first}) == 1
    assert first == again
    assert [e.id for e in first] == sorted((e.id for e in first), reverse=True)


async def test_task_changes_show_on_the_customers_timeline(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer_id = await new_customer(kernel, admin)
    project = await CreateProjectHandler(kernel)(
        admin, CreateProject(customer_id=customer_id, title="Relaunch")
    )
    task = await CreateTaskHandler(kernel)(admin, CreateTask(project_id=project.id, title="Copy"))
    clock.advance(timedelta(minutes=1))
    await CompleteTaskHandler(kernel)(admin, task.id)

    timeline = await timeline_of(kernel, admin, customer_id, 1)

    assert [(e.summary, e.aggregate_id) for e in timeline] == [("Task completed", task.id)]


@pytest.mark.parametrize("limit", [0, -1, 201])
async def test_a_limit_outside_1_to_200_is_refused(kernel: Kernel, admin: Actor, limit: int) -> None:
    customer_id = await new_customer(kernel, admin)
    with pytest.raises(ValidationError) as raised:
        await timeline_of(kernel, admin, customer_id, limit)
    assert raised.value.errors[0].field == "limit"


async def test_unknown_foreign_and_hidden_customers_are_not_found(kernel: Kernel, admin: Actor) -> None:
    other = await make_tenant(kernel, slug="globex")
    agent = await make_user(kernel, admin, Role.AGENT)
    customer_id = await new_customer(kernel, admin)
    settings = TenantSettings(agents_see_only_own_customers=True)
    await ChangeTenantSettingsHandler(kernel)(admin, ChangeTenantSettings(settings=settings))

    for actor, target in ((admin, uuid4()), (other, customer_id), (agent, customer_id)):
        with pytest.raises(NotFound):
            await timeline_of(kernel, actor, target, 10)


async def test_the_timeline_pages_with_a_cursor_and_shows_each_entry_once(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer_id = await new_customer(kernel, admin, value=CustomerValue.HIGH)  # two entries at one instant
    for days in (3, 1, 2):
        await call(kernel, admin, customer_id, days_ago=days)
    clock.advance(timedelta(minutes=1))
    await call(kernel, admin, customer_id)
    everything = await timeline_of(kernel, admin, customer_id, 200)
    timeline = GetTimelineHandler(kernel)

    pages = [await timeline(admin, customer_id, PageRequest(limit=2))]
    while pages[-1].next_cursor is not None:
        pages.append(await timeline(admin, customer_id, PageRequest.of(2, pages[-1].next_cursor)))

    assert [len(page.items) for page in pages] == [2, 2, 2]
    assert [e for page in pages for e in page.items] == everything
    assert len(everything) == 6


async def test_a_page_after_new_entries_neither_repeats_nor_skips_what_was_there(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer_id = await new_customer(kernel, admin)
    for days in (1, 2, 3, 4):
        await call(kernel, admin, customer_id, days_ago=days)
    timeline = GetTimelineHandler(kernel)
    first = await timeline(admin, customer_id, PageRequest(limit=2))
    clock.advance(timedelta(hours=1))
    await call(kernel, admin, customer_id)  # newer than every page: read from the top again
    backdated = await call(kernel, admin, customer_id, days_ago=5)  # older than the first page

    rest = await timeline(admin, customer_id, PageRequest.of(200, first.next_cursor))

    seen = [e.occurred_at for e in (*first.items, *rest.items)]
    assert seen == sorted(seen, reverse=True)
    assert len({e.id for e in (*first.items, *rest.items)}) == len(seen) == 6
    assert backdated.id in {e.id for e in rest.items}
    assert rest.next_cursor is None
