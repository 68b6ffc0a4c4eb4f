"""The tenant's task counts and interactions per day, on every adapter set."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lana_core.domain.interactions import InteractionType
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import ValidationError
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.crm_figures import GetInteractionsPerDayHandler, GetTaskCountsHandler
from lana_core.usecases.customers import ArchiveCustomerHandler, CreateCustomer, CreateCustomerHandler
from lana_core.usecases.interactions import (
    DeleteInteractionHandler,
    RecordInteraction,
    RecordInteractionHandler,
)
from lana_core.usecases.projects import ArchiveProjectHandler, CreateProject, CreateProjectHandler
from lana_core.usecases.tasks import CompleteTaskHandler, CreateTask, CreateTaskHandler
from lana_testing.contract.fixtures import adapters, admin, clock, kernel
from lana_testing.support import make_tenant, make_user

# Noon, so the window's first and last days are plain to read: Jan 2 to Jan 31.
READ_AT = datetime(2026, 1, 31, 12, tzinfo=UTC)


async def test_task_counts_are_the_tenants_whoever_is_assigned(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    clock.set(READ_AT)
    agent = await make_user(kernel, admin, Role.AGENT)
    viewer = await make_user(kernel, admin, Role.VIEWER)
    kept = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Initech"))
    gone = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Gone"))
    project = await CreateProjectHandler(kernel)(admin, CreateProject(customer_id=kept.id, title="Rollout"))
    old = await CreateProjectHandler(kernel)(admin, CreateProject(customer_id=kept.id, title="Old"))
    of_gone = await CreateProjectHandler(kernel)(admin, CreateProject(customer_id=gone.id, title="Lost"))
    add = CreateTaskHandler(kernel)
    today = READ_AT.date()
    yesterday = today - timedelta(days=1)

    async def task(on: object, assignee: Actor | None, due: date | None = None) -> object:
        command = CreateTask(
            project_id=on.id,  # type: ignore[attr-defined]
            title="Step",
            assignee_id=None if assignee is None else assignee.user_id,
            due_date=due,
        )
        return await add(admin, command)

    await task(project, agent, due=yesterday)  # open, overdue
    await task(project, admin, due=yesterday)  # open, overdue, someone else's
    await task(project, None, due=today)  # open, due today: not overdue
    await task(project, None)  # open, undated
    done = await task(project, agent, due=yesterday)
    await CompleteTaskHandler(kernel)(admin, done.id)  # type: ignore[attr-defined]
    await task(old, agent, due=yesterday)
    await task(of_gone, agent, due=yesterday)
    await ArchiveProjectHandler(kernel)(admin, old.id)
    await ArchiveCustomerHandler(kernel)(admin, gone.id)

    counts = await GetTaskCountsHandler(kernel)(viewer)

    assert (counts.open, counts.overdue, counts.completed, counts.total) == (4, 2, 1, 5)
    # Written after the first read: the next read sees it, cached or not.
    await task(project, viewer, due=yesterday)
    assert (await GetTaskCountsHandler(kernel)(agent)).overdue == 3
    other = await make_tenant(kernel, "globex")
    assert (await GetTaskCountsHandler(kernel)(other)).total == 0


async def test_interactions_per_day_counts_every_day_of_the_window_by_type(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    clock.set(READ_AT)
    customer = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Initech"))
    record = RecordInteractionHandler(kernel)

    async def log(kind: InteractionType, when: datetime) -> object:
        command = RecordInteraction(customer_id=customer.id, type=kind, subject="Talk", occurred_at=when)
        return await record(admin, command)

    await log(InteractionType.CALL, READ_AT)
    await log(InteractionType.CALL, datetime(2026, 1, 30, 23, 59, tzinfo=UTC))
    await log(InteractionType.EMAIL, datetime(2026, 1, 30, 0, 0, tzinfo=UTC))
    deleted = await log(InteractionType.NOTE, datetime(2026, 1, 30, 8, tzinfo=UTC))
    await log(InteractionType.MEETING, datetime(2026, 1, 2, 0, 0, tzinfo=UTC))  # the window's first moment
    await log(InteractionType.MEETING, datetime(2026, 1, 1, 23, 59, tzinfo=UTC))  # just before it
    await log(InteractionType.NOTE, datetime(2026, 2, 1, 0, 0, tzinfo=UTC))  # tomorrow: not yet
    await make_tenant(kernel, "globex")

    series = await GetInteractionsPerDayHandler(kernel)(admin)
    assert (series.first_day, series.last_day) == (date(2026, 1, 2), date(2026, 1, 31))
    assert [day.day for day in series.days] == [date(2026, 1, 2) + timedelta(days=n) for n in range(30)]
    assert series.days[0].by_type == {"email": 0, "call": 0, "meeting": 1, "note": 0}
    assert series.days[-2].by_type == {"email": 1, "call": 1, "meeting": 0, "note": 1}
    assert series.days[-1].by_type == {"email": 0, "call": 1, "meeting": 0, "note": 0}
    assert series.total == 5
    assert series.by_type == {"email": 1, "call": 2, "meeting": 1, "note": 1}

    await DeleteInteractionHandler(kernel)(admin, customer.id, deleted.id)  # type: ignore[attr-defined]
    assert (await GetInteractionsPerDayHandler(kernel)(admin)).days[-2].total == 2
    week = await GetInteractionsPerDayHandler(kernel)(admin, days=1)
    assert [(day.day, day.total) for day in week.days] == [(date(2026, 1, 31), 1)]


async def test_interactions_per_day_stay_in_their_tenant(kernel: Kernel, admin: Actor) -> None:
    customer = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Initech"))
    await RecordInteractionHandler(kernel)(
        admin, RecordInteraction(customer_id=customer.id, type=InteractionType.CALL, subject="Hello")
    )
    other = await make_tenant(kernel, "globex")

    assert (await GetInteractionsPerDayHandler(kernel)(admin)).total == 1
    assert (await GetInteractionsPerDayHandler(kernel)(other)).total == 0


@pytest.mark.parametrize("days", [0, 367])
async def test_interactions_per_day_refuses_a_window_out_of_range(
    kernel: Kernel, admin: Actor, days: int
) -> None:
    with pytest.raises(ValidationError) as raised:
        await GetInteractionsPerDayHandler(kernel)(admin, days=days)
    assert raised.value.errors[0].field == "days"


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "test_interactions_per_day_counts_every_day_of_the_window_by_type",
    "test_interactions_per_day_refuses_a_window_out_of_range",
    "test_interactions_per_day_stay_in_their_tenant",
    "test_task_counts_are_the_tenants_whoever_is_assigned",
]
