"""Unit of work: round trips, read-your-writes, rollback unless commit, optimistic concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

import attrs
import pytest

from lana_core.domain.customers import Customer
from lana_core.domain.insights import InsightSource
from lana_core.domain.pagination import PageRequest
from lana_core.domain.projects import TaskStats
from lana_core.domain.queries import CustomerQuery, ProjectQuery, TaskQuery
from lana_core.domain.tenancy import Actor
from lana_core.errors import Conflict
from lana_core.memory import ManualClock
from lana_core.ports import OutboxRelayStore, UnitOfWork
from lana_core.usecases._base import Kernel
from lana_testing.contract import builders
from lana_testing.contract.fixtures import adapters, admin, clock, kernel, relay


async def test_customer_round_trips_unchanged(kernel: Kernel, admin: Actor, clock: ManualClock) -> None:
    stored = builders.customer(admin.tenant_id, clock.now(), email="grace@navy.mil", owner_id=admin.user_id)
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(stored)
        await uow.commit()

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.customers.get(stored.id) == stored


async def test_every_record_kind_round_trips(kernel: Kernel, admin: Actor, clock: ManualClock) -> None:
    now, tenant_id = clock.now(), admin.tenant_id
    customer = builders.customer(tenant_id, now)
    user = builders.user(tenant_id, now)
    project = builders.project(tenant_id, customer.id, now, admin.user_id)
    task = builders.task(project, now)
    interaction = builders.interaction(tenant_id, customer.id, admin.user_id, now)
    insight = builders.insight(tenant_id, customer.id, now)
    entry = builders.audit_entry(tenant_id, customer.id, now)
    async with kernel.uow(tenant_id) as uow:
        await uow.users.add(user)
        await uow.customers.add(customer)
        await uow.projects.add(project)
        await uow.tasks.add(task)
        await uow.interactions.add(interaction)
        await uow.insights.add(insight)
        await uow.audit.append([entry])
        await uow.commit()

    async with kernel.uow(tenant_id) as uow:
        assert await uow.users.get(user.id) == user
        assert await uow.users.get_by_email(user.email) == user
        assert await uow.projects.get(project.id) == project
        assert await uow.tasks.get(task.id) == task
        assert await uow.interactions.last_for_customer(customer.id) == interaction
        assert await uow.insights.latest_for_customer(customer.id) == insight
        assert await uow.audit.list_for_customer(customer.id, 10) == [entry]


async def test_tenants_are_read_by_id_and_slug_from_any_tenant(kernel: Kernel, clock: ManualClock) -> None:
    tenant = builders.tenant(clock.now(), slug="globex")
    async with kernel.uow(tenant.id) as uow:
        await uow.tenants.add(tenant)
        await uow.commit()

    async with kernel.uow(uuid4()) as uow:
        assert await uow.tenants.get(tenant.id) == tenant
        assert await uow.tenants.get_by_slug("globex") == tenant
        assert await uow.tenants.get_by_slug("initech") is None


async def test_reads_inside_a_unit_see_its_own_staged_writes(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer = builders.customer(admin.tenant_id, clock.now(), email="grace@navy.mil")
    project = builders.project(admin.tenant_id, customer.id, clock.now(), admin.user_id)
    task = builders.task(project, clock.now())
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(customer)
        await uow.projects.add(project)
        await uow.tasks.add(task)
        assert await uow.customers.get(customer.id) == customer
        assert (await uow.customers.list(CustomerQuery())).items == (customer,)
        assert (await uow.customers.counts()).total == 1
        assert (await uow.projects.list(ProjectQuery())).items == (project,)
        assert (await uow.projects.stats_for_customer(customer.id, clock.now().date())).total == 1
        assert (await uow.tasks.list(TaskQuery())).items == (task,)
        assert await uow.tasks.stats_for_customer(customer.id) == TaskStats(total=1, completed=0)


async def test_leaving_without_commit_keeps_no_customer_outbox_row_or_audit_entry(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, clock: ManualClock
) -> None:
    backlog = await relay.pending_count()
    customer = builders.customer(admin.tenant_id, clock.now(), email="grace@navy.mil")
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(customer)
        await uow.outbox.append([builders.event(admin.tenant_id, customer.id, clock.now())])
        await uow.audit.append([builders.audit_entry(admin.tenant_id, customer.id, clock.now())])

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.customers.get(customer.id) is None
        assert await uow.audit.list_for_customer(customer.id, 10) == []
    assert await relay.pending_count() == backlog


async def test_an_error_inside_the_block_keeps_nothing(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer = builders.customer(admin.tenant_id, clock.now())

    async def add_then_fail(uow: UnitOfWork) -> None:
        await uow.customers.add(customer)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await builders.commit_new(kernel, admin.tenant_id, add_then_fail)

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.customers.get(customer.id) is None


async def test_rollback_discards_what_was_staged_before_it(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer = builders.customer(admin.tenant_id, clock.now())
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(customer)
        await uow.rollback()
        await uow.commit()

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.customers.get(customer.id) is None


async def test_committed_events_reach_the_relay_with_no_attempts(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, clock: ManualClock
) -> None:
    await relay.mark_published([r.event.id for r in await relay.claim(1_000, 60)])
    event = builders.event(admin.tenant_id, uuid4(), clock.now())
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.outbox.append([event])
        await uow.commit()

    [record] = await relay.claim(10, 60)
    assert (record.event, record.attempts, record.last_error) == (event, 0, None)


async def _stored(kernel: Kernel, admin: Actor, clock: ManualClock, email: str | None = None) -> Customer:
    customer = builders.customer(admin.tenant_id, clock.now(), email=email)
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(customer)
        await uow.commit()
    return customer


async def test_an_update_based_on_a_stale_version_is_a_conflict(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    original = await _stored(kernel, admin, clock)
    first = attrs.evolve(original, name="First", version=2)
    stale = attrs.evolve(original, name="Stale", version=2)
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.update(first)
        await uow.commit()

    with pytest.raises(Conflict):
        await builders.commit_new(kernel, admin.tenant_id, lambda uow: uow.customers.update(stale))
    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.customers.get(first.id) == first


async def test_an_update_must_move_the_version_by_exactly_one(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    original = await _stored(kernel, admin, clock)
    for version in (1, 3):
        skipping = attrs.evolve(original, name="Skip", version=version)
        with pytest.raises(Conflict):
            await builders.commit_new(kernel, admin.tenant_id, builders.updating(skipping))


async def test_two_units_from_the_same_version_exactly_one_commit_wins(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, clock: ManualClock
) -> None:
    original = await _stored(kernel, admin, clock)
    backlog = await relay.pending_count()
    first, second = kernel.uow(admin.tenant_id), kernel.uow(admin.tenant_id)
    async with first, second:
        seen_first = await first.customers.get(original.id)
        seen_second = await second.customers.get(original.id)
        assert seen_first is not None
        assert seen_second is not None
        await builders.commit_in(
            first,
            lambda uow: uow.customers.update(attrs.evolve(seen_first, name="First", version=2)),
            lambda uow: uow.outbox.append([builders.event(admin.tenant_id, original.id, clock.now())]),
        )
        with pytest.raises(Conflict):
            await builders.commit_in(
                second,
                lambda uow: uow.customers.update(attrs.evolve(seen_second, name="Second", version=2)),
                lambda uow: uow.outbox.append([builders.event(admin.tenant_id, original.id, clock.now())]),
            )

    async with kernel.uow(admin.tenant_id) as uow:
        assert (await uow.customers.get(original.id)) == attrs.evolve(original, name="First", version=2)
    assert await relay.pending_count() == backlog + 1


async def test_many_interleaved_units_from_one_version_exactly_one_wins(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    original = await _stored(kernel, admin, clock)
    # Every unit reads before any writes: on a real database a slow unit could otherwise
    # read after the winner committed and win too, which is not the race under test.
    everyone_has_read = asyncio.Barrier(8)

    async def rename(name: str) -> bool:
        try:
            async with kernel.uow(admin.tenant_id) as uow:
                current = await uow.customers.get(original.id)
                assert current is not None
                await everyone_has_read.wait()
                await uow.customers.update(attrs.evolve(current, name=name, version=current.version + 1))
                await asyncio.sleep(0)
                await uow.commit()
        except Conflict:
            return False
        return True

    outcomes = await asyncio.gather(*(rename(f"Writer {i}") for i in range(8)))

    assert sum(outcomes) == 1
    async with kernel.uow(admin.tenant_id) as uow:
        stored = await uow.customers.get(original.id)
    assert stored is not None
    assert stored.version == 2
    assert stored.name == f"Writer {outcomes.index(True)}"


async def test_users_update_with_optimistic_versions_too(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    user = builders.user(admin.tenant_id, clock.now())
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.users.add(user)
        await uow.commit()
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.users.update(user.deactivate(clock.now()))
        await uow.commit()

    with pytest.raises(Conflict):
        await builders.commit_new(
            kernel, admin.tenant_id, lambda uow: uow.users.update(user.deactivate(clock.now()))
        )


async def test_insights_count_only_model_answers_since_a_time(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer = await _stored(kernel, admin, clock)
    start = clock.now()
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.insights.add(builders.insight(admin.tenant_id, customer.id, start))
        await uow.insights.add(builders.insight(admin.tenant_id, customer.id, start, InsightSource.RULES))
        await uow.commit()
    clock.advance(timedelta(hours=1))
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.insights.add(builders.insight(admin.tenant_id, customer.id, clock.now()))
        await uow.commit()

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.insights.count_since(start) == 2
        assert await uow.insights.count_since(clock.now()) == 1
        page = await uow.insights.list_for_customer(customer.id, PageRequest(limit=10))
    assert [i.created_at for i in page.items] == [clock.now(), start, start]


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "relay",
    "test_customer_round_trips_unchanged",
    "test_every_record_kind_round_trips",
    "test_tenants_are_read_by_id_and_slug_from_any_tenant",
    "test_reads_inside_a_unit_see_its_own_staged_writes",
    "test_leaving_without_commit_keeps_no_customer_outbox_row_or_audit_entry",
    "test_an_error_inside_the_block_keeps_nothing",
    "test_rollback_discards_what_was_staged_before_it",
    "test_committed_events_reach_the_relay_with_no_attempts",
    "test_an_update_based_on_a_stale_version_is_a_conflict",
    "test_an_update_must_move_the_version_by_exactly_one",
    "test_two_units_from_the_same_version_exactly_one_commit_wins",
    "test_many_interleaved_units_from_one_version_exactly_one_wins",
    "test_users_update_with_optimistic_versions_too",
    "test_insights_count_only_model_answers_since_a_time",
]
