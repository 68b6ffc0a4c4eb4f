"""Counts, stats and the lists other than customers: what dashboards and timelines read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import attrs

from lana_core.domain.analytics import CustomerCounts, DayCount, ProjectCounts
from lana_core.domain.customers import Customer, CustomerStatus, CustomerValue
from lana_core.domain.pagination import PageRequest, SortOrder
from lana_core.domain.projects import Priority, Project, ProjectStats, ProjectStatus
from lana_core.domain.queries import ProjectQuery, ProjectSort, TaskQuery
from lana_core.domain.tenancy import Actor
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import (
    ArchiveCustomerHandler,
    ChangeCustomerStatus,
    ChangeCustomerStatusHandler,
    CreateCustomer,
    CreateCustomerHandler,
)
from lana_testing.contract import builders
from lana_testing.contract.fixtures import adapters, admin, clock, kernel
from lana_testing.contract.observe import all_pages
from lana_testing.support import make_tenant


async def test_customer_counts_cover_live_customers_with_every_status_and_value(
    kernel: Kernel, admin: Actor
) -> None:
    create, status = CreateCustomerHandler(kernel), ChangeCustomerStatusHandler(kernel)
    won = await create(admin, CreateCustomer(name="Won", value=CustomerValue.HIGH))
    await status(admin, ChangeCustomerStatus(customer_id=won.id, status=CustomerStatus.ACTIVE))
    lapsed = await create(admin, CreateCustomer(name="Lapsed", status=CustomerStatus.ACTIVE))
    await status(admin, ChangeCustomerStatus(customer_id=lapsed.id, status=CustomerStatus.INACTIVE))
    await create(admin, CreateCustomer(name="Prospect"))
    gone = await create(admin, CreateCustomer(name="Gone", status=CustomerStatus.ACTIVE))
    await ArchiveCustomerHandler(kernel)(admin, gone.id)

    async with kernel.uow(admin.tenant_id) as uow:
        counts = await uow.customers.counts()

    assert counts == CustomerCounts(
        total=3,
        by_status={"prospect": 1, "active": 1, "inactive": 1},
        by_value={"low": 0, "medium": 2, "high": 1},
        ever_activated=2,
    )


async def test_customers_created_per_day_counts_live_ones_by_utc_day_since_a_time(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    create = CreateCustomerHandler(kernel)
    clock.set(datetime(2026, 2, 1, 23, 30, tzinfo=UTC))
    await create(admin, CreateCustomer(name="Too early"))
    clock.advance(timedelta(minutes=20))
    await create(admin, CreateCustomer(name="Late on the first"))
    clock.advance(timedelta(minutes=20))
    await create(admin, CreateCustomer(name="Early on the second"))
    archived = await create(admin, CreateCustomer(name="Archived"))
    await ArchiveCustomerHandler(kernel)(admin, archived.id)
    clock.advance(timedelta(days=2))
    await create(admin, CreateCustomer(name="Two days later"))

    async with kernel.uow(admin.tenant_id) as uow:
        days = await uow.customers.created_per_day(datetime(2026, 2, 1, 23, 45, tzinfo=UTC))

    assert list(days) == [
        DayCount(date(2026, 2, 1), 1),
        DayCount(date(2026, 2, 2), 1),
        DayCount(date(2026, 2, 4), 1),
    ]


async def _customer_with_projects(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> tuple[Customer, list[Project]]:
    customer = builders.customer(admin.tenant_id, clock.now())
    today = clock.now().date()
    projects = []
    for index, (status, due_in) in enumerate(
        [
            (ProjectStatus.TODO, -1),
            (ProjectStatus.IN_PROGRESS, None),
            (ProjectStatus.DONE, -3),
            (ProjectStatus.REVIEW, 2),
            (ProjectStatus.IN_PROGRESS, -2),
        ]
    ):
        base = builders.project(admin.tenant_id, customer.id, clock.now(), admin.user_id)
        due = None if due_in is None else today + timedelta(days=due_in)
        priority = Priority.URGENT if index % 2 else Priority.LOW
        projects.append(attrs.evolve(base, status=status, due_date=due, priority=priority))
        clock.advance(timedelta(minutes=1))
    archived = attrs.evolve(
        builders.project(admin.tenant_id, customer.id, clock.now(), admin.user_id), archived_at=clock.now()
    )
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(customer)
        for project in [*projects, archived]:
            await uow.projects.add(project)
        await uow.commit()
    return customer, projects


async def test_project_stats_and_counts_skip_archived_projects(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer, projects = await _customer_with_projects(kernel, admin, clock)
    today = clock.now().date()

    async with kernel.uow(admin.tenant_id) as uow:
        stats = await uow.projects.stats_for_customer(customer.id, today)
        counts = await uow.projects.counts(today)
        recent = await uow.projects.recent_for_customer(customer.id, 3)

    assert stats == ProjectStats(total=5, done=1, in_progress=2, overdue=2)
    assert counts == ProjectCounts(
        total=5, by_status={"todo": 1, "in_progress": 2, "review": 1, "done": 1}, overdue=2
    )
    assert list(recent) == projects[::-1][:3]


async def test_project_lists_filter_and_sort_with_missing_due_dates_last(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer, projects = await _customer_with_projects(kernel, admin, clock)
    today = clock.now().date()

    async def listed(**filters: Any) -> list[Project]:
        async with kernel.uow(admin.tenant_id) as uow:
            return list(
                await all_pages(
                    lambda cursor: uow.projects.list(ProjectQuery(**filters, page=PageRequest.of(2, cursor)))
                )
            )

    by_due = sorted(projects, key=lambda p: (p.due_date is None, p.due_date or today, p.id))
    assert await listed(sort=ProjectSort.DUE_DATE, order=SortOrder.ASC) == by_due
    assert await listed(sort=ProjectSort.DUE_DATE, order=SortOrder.DESC) == by_due[::-1]
    assert await listed() == projects[::-1]
    assert await listed(overdue_on=today) == [projects[4], projects[0]]
    assert await listed(status=ProjectStatus.IN_PROGRESS, priority=Priority.URGENT) == [projects[1]]
    assert await listed(due_after=today - timedelta(days=2), due_before=today + timedelta(days=2)) == [
        projects[4],
        projects[0],
    ]
    assert await listed(customer_id=uuid4()) == []
    assert await listed(customer_id=customer.id, assignee_id=admin.user_id) == []


async def test_task_lists_run_oldest_first_and_stats_skip_archived_projects(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer = builders.customer(admin.tenant_id, clock.now())
    live = builders.project(admin.tenant_id, customer.id, clock.now(), admin.user_id)
    shelved = attrs.evolve(
        builders.project(admin.tenant_id, customer.id, clock.now(), admin.user_id), archived_at=clock.now()
    )
    tasks = []
    for project, completed in [(live, True), (live, False), (shelved, True), (live, False)]:
        task = attrs.evolve(builders.task(project, clock.now()), completed=completed)
        tasks.append(task)
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(customer)
        await uow.projects.add(live)
        await uow.projects.add(shelved)
        for task in tasks:
            await uow.tasks.add(task)
        await uow.commit()

    async with kernel.uow(admin.tenant_id) as uow:
        stats = await uow.tasks.stats_for_customer(customer.id)
        everything = await all_pages(lambda cursor: uow.tasks.list(TaskQuery(page=PageRequest.of(1, cursor))))
        open_in_live = await uow.tasks.list(TaskQuery(project_id=live.id, completed=False))

    assert (stats.total, stats.completed) == (3, 1)
    assert list(everything) == sorted(tasks, key=lambda t: (t.created_at, t.id))
    assert list(open_in_live.items) == sorted([tasks[1], tasks[3]], key=lambda t: (t.created_at, t.id))


async def test_interactions_list_newest_first_and_count(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer = builders.customer(admin.tenant_id, clock.now())
    start = clock.now()
    moments = [start + timedelta(hours=h) for h in (3, 1, 2, 2)]
    made = [builders.interaction(admin.tenant_id, customer.id, admin.user_id, when) for when in moments]
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(customer)
        for interaction in made:
            await uow.interactions.add(interaction)
        await uow.commit()

    async with kernel.uow(admin.tenant_id) as uow:
        listed = await all_pages(
            lambda cursor: uow.interactions.list_for_customer(customer.id, PageRequest.of(1, cursor))
        )
        count = await uow.interactions.count_for_customer(customer.id)
        recent = await uow.interactions.count_for_customer(customer.id, since=start + timedelta(hours=2))
        later = await uow.interactions.count_for_customer(customer.id, since=start + timedelta(hours=4))
        last = await uow.interactions.last_for_customer(customer.id)
        none = await uow.interactions.last_for_customer(uuid4())

    newest_first = sorted(made, key=lambda i: (i.occurred_at, i.id), reverse=True)
    assert list(listed) == newest_first
    assert (count, recent, later, last, none) == (4, 3, 0, newest_first[0], None)


async def test_audit_lists_a_customers_entries_newest_first(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer = CreateCustomerHandler(kernel)
    made = await customer(admin, CreateCustomer(name="Grace"))
    clock.advance(timedelta(minutes=1))
    await ChangeCustomerStatusHandler(kernel)(
        admin, ChangeCustomerStatus(customer_id=made.id, status=CustomerStatus.ACTIVE)
    )

    async with kernel.uow(admin.tenant_id) as uow:
        entries = await uow.audit.list_for_customer(made.id, 10)
        limited = await uow.audit.list_for_customer(made.id, 1)

    assert [e.action for e in entries] == ["customer.status_changed", "customer.created"]
    assert [e.action for e in limited] == ["customer.status_changed"]
    assert entries[0].actor_id == admin.user_id
    assert ("status", "prospect", "active") in [(c.field, c.old, c.new) for c in entries[0].changes]


async def test_project_and_task_counts_are_what_their_lists_hold_in_this_tenant(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer, projects = await _customer_with_projects(kernel, admin, clock)
    other = await make_tenant(kernel, "initech")
    await _customer_with_projects(kernel, other, clock)
    tasks = [
        attrs.evolve(builders.task(p, clock.now()), completed=n % 2 == 0) for n, p in enumerate(projects)
    ]
    await builders.commit_new(kernel, admin.tenant_id, *(lambda uow, t=t: uow.tasks.add(t) for t in tasks))
    today = clock.now().date()
    project_queries = [
        ProjectQuery(),
        ProjectQuery(customer_id=customer.id, status=ProjectStatus.IN_PROGRESS),
        ProjectQuery(overdue_on=today, priority=Priority.LOW),
        ProjectQuery(due_after=today, page=PageRequest(limit=1)),
        ProjectQuery(customer_id=uuid4()),
    ]
    task_queries = [
        TaskQuery(),
        TaskQuery(completed=True),
        TaskQuery(project_id=projects[0].id, page=PageRequest(limit=1)),
        TaskQuery(assignee_id=admin.user_id),
    ]

    async with kernel.uow(admin.tenant_id) as uow:
        for project_query in project_queries:
            listed = await all_pages(
                lambda cursor, q=project_query: uow.projects.list(
                    attrs.evolve(q, page=PageRequest.of(2, cursor))
                )
            )
            assert await uow.projects.count(project_query) == len(listed), project_query
        for task_query in task_queries:
            listed = await all_pages(
                lambda cursor, q=task_query: uow.tasks.list(attrs.evolve(q, page=PageRequest.of(2, cursor)))
            )
            assert await uow.tasks.count(task_query) == len(listed), task_query
        assert await uow.projects.count(ProjectQuery()) == 5
        assert await uow.tasks.count(TaskQuery(completed=True)) == 3


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "test_customer_counts_cover_live_customers_with_every_status_and_value",
    "test_customers_created_per_day_counts_live_ones_by_utc_day_since_a_time",
    "test_project_stats_and_counts_skip_archived_projects",
    "test_project_lists_filter_and_sort_with_missing_due_dates_last",
    "test_task_lists_run_oldest_first_and_stats_skip_archived_projects",
    "test_interactions_list_newest_first_and_count",
    "test_audit_lists_a_customers_entries_newest_first",
    "test_project_and_task_counts_are_what_their_lists_hold_in_this_tenant",
]
