"""Interactions corrected or deleted: every adapter reads back the new state, refuses a stale
version, and forgets a deleted interaction in every count the insights read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lana_core.domain.customers import Customer
from lana_core.domain.interactions import Interaction, InteractionType
from lana_core.domain.pagination import PageRequest
from lana_core.domain.tenancy import Actor
from lana_core.errors import StaleVersion
from lana_core.memory import ManualClock
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import Kernel
from lana_testing.contract import builders
from lana_testing.contract.fixtures import adapters, admin, clock, kernel
from lana_testing.support import make_tenant


async def _customer_with_calls(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> tuple[Customer, list[Interaction]]:
    customer = builders.customer(admin.tenant_id, clock.now())
    calls = [
        builders.interaction(admin.tenant_id, customer.id, admin.user_id, clock.now() - timedelta(days=days))
        for days in (9, 5, 1)
    ]
    await builders.commit_new(
        kernel,
        admin.tenant_id,
        lambda uow: uow.customers.add(customer),
        *(lambda uow, call=call: uow.interactions.add(call) for call in calls),
    )
    return customer, calls


async def test_an_edited_interaction_reads_back_and_moves_in_the_newest_first_order(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer, (oldest, middle, newest) = await _customer_with_calls(kernel, admin, clock)
    moved = oldest.edit(
        type=InteractionType.MEETING,
        subject="On site",
        content=None,
        occurred_at=clock.now(),
        now=clock.now(),
    )

    await builders.commit_new(kernel, admin.tenant_id, lambda uow: uow.interactions.update(moved))

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.interactions.get(oldest.id) == moved
        listed = await uow.interactions.list_for_customer(customer.id, PageRequest())
        assert list(listed.items) == [moved, newest, middle]
        assert await uow.interactions.last_for_customer(customer.id) == moved
        assert await uow.interactions.count_for_customer(customer.id) == 3


async def test_an_edit_at_a_stale_version_is_refused_and_keeps_the_stored_one(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    _, (call, _, _) = await _customer_with_calls(kernel, admin, clock)
    first = call.edit(type=call.type, subject="First", content=None, occurred_at=None, now=clock.now())
    second = call.edit(type=call.type, subject="Second", content=None, occurred_at=None, now=clock.now())
    stored = await builders.refused_as_stale(
        kernel,
        admin.tenant_id,
        lambda uow: uow.interactions.update(first),
        lambda uow: uow.interactions.update(second),
        lambda uow: uow.interactions.get(call.id),
    )

    assert stored == first


async def test_a_deleted_interaction_counts_no_more_and_is_not_the_last_one(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer, (oldest, middle, newest) = await _customer_with_calls(kernel, admin, clock)

    await builders.commit_new(kernel, admin.tenant_id, lambda uow: uow.interactions.delete(newest))

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.interactions.get(newest.id) is None
        listed = await uow.interactions.list_for_customer(customer.id, PageRequest())
        assert list(listed.items) == [middle, oldest]
        assert await uow.interactions.count_for_customer(customer.id) == 2
        assert await uow.interactions.last_for_customer(customer.id) == middle


async def test_a_delete_is_seen_by_its_own_unit_and_undone_by_a_rollback(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer, calls = await _customer_with_calls(kernel, admin, clock)

    async with kernel.uow(admin.tenant_id) as uow:
        for call in calls:
            await uow.interactions.delete(call)
        assert await uow.interactions.count_for_customer(customer.id) == 0
        assert await uow.interactions.last_for_customer(customer.id) is None

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.interactions.count_for_customer(customer.id) == 3


async def test_a_delete_at_a_stale_version_or_of_a_deleted_interaction_is_refused(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    _, (call, other, _) = await _customer_with_calls(kernel, admin, clock)
    edited = call.edit(type=call.type, subject="Edited", content=None, occurred_at=None, now=clock.now())
    await builders.commit_new(
        kernel,
        admin.tenant_id,
        lambda uow: uow.interactions.update(edited),
        lambda uow: uow.interactions.delete(other),
    )

    for stale in (call, other):
        async with kernel.uow(admin.tenant_id) as uow:
            with pytest.raises(StaleVersion):
                await builders.commit_in(uow, _deleting(stale))

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.interactions.get(call.id) == edited


async def test_another_tenant_cannot_read_or_delete_an_interaction(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    other = await make_tenant(kernel, "initech")
    _, (call, _, _) = await _customer_with_calls(kernel, admin, clock)

    async with kernel.uow(other.tenant_id) as uow:
        assert await uow.interactions.get(call.id) is None


def _deleting(interaction: Interaction) -> builders.Write:
    async def delete(uow: UnitOfWork) -> None:
        await uow.interactions.delete(interaction)

    return delete


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "test_an_edited_interaction_reads_back_and_moves_in_the_newest_first_order",
    "test_an_edit_at_a_stale_version_is_refused_and_keeps_the_stored_one",
    "test_a_deleted_interaction_counts_no_more_and_is_not_the_last_one",
    "test_a_delete_is_seen_by_its_own_unit_and_undone_by_a_rollback",
    "test_a_delete_at_a_stale_version_or_of_a_deleted_interaction_is_refused",
    "test_another_tenant_cannot_read_or_delete_an_interaction",
]
