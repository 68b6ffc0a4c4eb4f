"""What the in-memory unit of work promises beyond the port: sharing, all-or-nothing commits, guards."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import attrs
import pytest

from lana_core.errors import Conflict
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore, InMemoryUnitOfWorkFactory, ManualClock
from tests.contract import builders

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TENANT = uuid4()


async def test_reads_share_the_stored_frozen_object_instead_of_copying_it() -> None:
    uow_factory = InMemoryUnitOfWorkFactory(InMemoryStore())
    customer = builders.customer(TENANT, NOW)
    async with uow_factory(TENANT) as uow:
        await uow.customers.add(customer)
        await uow.commit()

    async with uow_factory(TENANT) as uow:
        assert await uow.customers.get(customer.id) is customer


async def test_a_commit_that_conflicts_in_one_table_applies_nothing_in_any_table() -> None:
    uow_factory = InMemoryUnitOfWorkFactory(InMemoryStore())
    owner = builders.customer(TENANT, NOW)
    project = builders.project(TENANT, owner.id, NOW, uuid4())
    async with uow_factory(TENANT) as uow:
        await uow.customers.add(owner)
        await uow.projects.add(project)
        await uow.commit()
    newcomer = builders.customer(TENANT, NOW, email="new@example.com")

    async with uow_factory(TENANT) as loser, uow_factory(TENANT) as winner:
        await loser.customers.add(newcomer)
        await loser.projects.update(attrs.evolve(project, title="Loser", version=2))
        await winner.projects.update(attrs.evolve(project, title="Winner", version=2))
        await winner.commit()
        with pytest.raises(Conflict):
            await loser.commit()

    async with uow_factory(TENANT) as uow:
        assert await uow.customers.get(newcomer.id) is None
        stored = await uow.projects.get(project.id)
        assert stored is not None
        assert stored.title == "Winner"


async def test_a_unit_can_commit_again_after_a_commit() -> None:
    uow_factory = InMemoryUnitOfWorkFactory(InMemoryStore())
    first, second = builders.customer(TENANT, NOW), builders.customer(TENANT, NOW)
    async with uow_factory(TENANT) as uow:
        await uow.customers.add(first)
        await uow.commit()
        await uow.customers.add(second)
        await uow.commit()

    async with uow_factory(TENANT) as uow:
        assert [await uow.customers.get(c.id) for c in (first, second)] == [first, second]


async def test_a_unit_refuses_a_record_of_another_tenant() -> None:
    uow_factory = InMemoryUnitOfWorkFactory(InMemoryStore())

    async with uow_factory(TENANT) as uow:
        with pytest.raises(ValueError, match="tenant"):
            await uow.customers.add(builders.customer(uuid4(), NOW))


async def test_a_dead_outbox_row_is_kept_aside_with_its_last_error() -> None:
    store = InMemoryStore()
    relay = InMemoryOutboxRelayStore(store, ManualClock(NOW))
    event = builders.event(TENANT, uuid4(), NOW)
    async with InMemoryUnitOfWorkFactory(store)(TENANT) as uow:
        await uow.outbox.append([event])
        await uow.commit()

    await relay.mark_failed(event.id, "first", dead=False)
    await relay.mark_failed(event.id, "poison", dead=True)

    dead = store.dead_letters[event.id]
    assert (dead.event, dead.attempts, dead.last_error) == (event, 2, "poison")
    assert await relay.pending_count() == 0
