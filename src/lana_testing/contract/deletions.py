"""Deleting records for good: gone from every read, refused at a stale version, undone by a rollback."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from lana_core.domain import events
from lana_core.domain.projects import Project, Task, TaskStats
from lana_core.domain.queries import TaskQuery
from lana_core.domain.tenancy import Actor
from lana_core.errors import StaleVersion
from lana_core.memory import ManualClock
from lana_core.ports import OutboxRelayStore
from lana_core.usecases._base import Kernel
from lana_core.usecases.tasks import DeleteTaskHandler
from lana_testing.contract import builders
from lana_testing.contract.fixtures import adapters, admin, clock, kernel, relay
from lana_testing.contract.observe import everything


async def _project_with_tasks(kernel: Kernel, admin: Actor, clock: ManualClock) -> tuple[Project, list[Task]]:
    customer = builders.customer(admin.tenant_id, clock.now())
    project = builders.project(admin.tenant_id, customer.id, clock.now(), admin.user_id)
    tasks = []
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        tasks.append(builders.task(project, clock.now()))
    tasks[2] = tasks[2].complete(clock.now())
    await builders.commit_new(
        kernel,
        admin.tenant_id,
        lambda uow: uow.customers.add(customer),
        lambda uow: uow.projects.add(project),
        *(lambda uow, task=task: uow.tasks.add(task) for task in tasks),
    )
    return project, tasks


async def test_a_deleted_task_is_gone_from_reads_lists_and_stats(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    project, (kept, gone, done) = await _project_with_tasks(kernel, admin, clock)

    await builders.commit_new(kernel, admin.tenant_id, lambda uow: uow.tasks.delete(gone))

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.tasks.get(gone.id) is None
        listed = await uow.tasks.list(TaskQuery(project_id=project.id))
        assert [t.id for t in listed.items] == [kept.id, done.id]
        assert await uow.tasks.stats_for_customer(project.customer_id) == TaskStats(total=2, completed=1)
        view = await uow.customers.get_view(project.customer_id, clock.now().date())
        assert view is not None
        assert view.task_stats == TaskStats(total=2, completed=1)


async def test_a_task_deleted_in_a_unit_is_gone_from_its_own_reads_and_back_after_a_rollback(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    project, (_, gone, _) = await _project_with_tasks(kernel, admin, clock)

    async with kernel.uow(admin.tenant_id) as uow:
        await uow.tasks.delete(gone)
        assert await uow.tasks.get(gone.id) is None
        assert gone.id not in {t.id for t in (await uow.tasks.list(TaskQuery())).items}

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.tasks.get(gone.id) == gone
        assert (await uow.tasks.stats_for_customer(project.customer_id)).total == 3


async def test_deleting_a_task_at_a_stale_version_is_refused_and_keeps_it(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    _, (task, _, _) = await _project_with_tasks(kernel, admin, clock)
    edited = attrs.evolve(task, title="Edited", version=task.version + 1)
    stored = await builders.refused_as_stale(
        kernel,
        admin.tenant_id,
        lambda uow: uow.tasks.update(edited),
        lambda uow: uow.tasks.delete(task),
        lambda uow: uow.tasks.get(task.id),
    )

    assert stored == edited


async def test_a_task_deleted_by_another_unit_first_cannot_be_deleted_again(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    _, (task, _, _) = await _project_with_tasks(kernel, admin, clock)

    async with kernel.uow(admin.tenant_id) as late:
        await builders.commit_new(kernel, admin.tenant_id, lambda uow: uow.tasks.delete(task))
        with pytest.raises(StaleVersion):
            await builders.commit_in(late, lambda unit: unit.tasks.delete(task))


async def test_deleting_a_task_records_its_event_audit_entry_and_analytics_row(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, clock: ManualClock
) -> None:
    project, (task, _, _) = await _project_with_tasks(kernel, admin, clock)
    before = await everything(kernel, relay, admin.tenant_id)

    await DeleteTaskHandler(kernel)(admin, task.id, expected_version=task.version)

    after = await everything(kernel, relay, admin.tenant_id)
    assert after.pending_events - before.pending_events == 1
    assert after.analytics_events - before.analytics_events == 1
    (entry,) = [e for e in after.audit if e not in before.audit]
    assert (entry.action, entry.aggregate_id, entry.customer_id) == (
        events.TASK_DELETED,
        task.id,
        project.customer_id,
    )
    assert {change.field: (change.old, change.new) for change in entry.changes}["title"] == (task.title, None)


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "relay",
    "test_a_deleted_task_is_gone_from_reads_lists_and_stats",
    "test_a_task_deleted_in_a_unit_is_gone_from_its_own_reads_and_back_after_a_rollback",
    "test_deleting_a_task_at_a_stale_version_is_refused_and_keeps_it",
    "test_a_task_deleted_by_another_unit_first_cannot_be_deleted_again",
    "test_deleting_a_task_records_its_event_audit_entry_and_analytics_row",
]
