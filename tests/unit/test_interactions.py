"""Interaction use cases: who may record a contact on a customer, and how the log reads back."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from lana_core.domain import events
from lana_core.domain.interactions import Interaction, InteractionType
from lana_core.domain.pagination import PageRequest
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import ArchiveCustomerHandler, CreateCustomer, CreateCustomerHandler
from lana_core.usecases.interactions import (
    ListInteractionsHandler,
    RecordInteraction,
    RecordInteractionHandler,
)
from lana_core.usecases.tenants import ChangeTenantSettings, ChangeTenantSettingsHandler
from tests.support import START, make_tenant, make_user


async def new_customer(kernel: Kernel, actor: Actor, owner: Actor | None = None) -> UUID:
    owner_id = None if owner is None else owner.user_id
    customer = await CreateCustomerHandler(kernel)(actor, CreateCustomer(name="Ada", owner_id=owner_id))
    return customer.id


async def call(kernel: Kernel, actor: Actor, customer_id: UUID, hours_ago: int = 0) -> Interaction:
    command = RecordInteraction(
        customer_id=customer_id,
        type=InteractionType.CALL,
        subject=f"Call {hours_ago}h ago",
        occurred_at=START - timedelta(hours=hours_ago),
    )
    return await RecordInteractionHandler(kernel)(actor, command)


async def test_a_recorded_interaction_is_authored_by_the_actor_and_published(
    kernel: Kernel, admin: Actor, store: InMemoryStore
) -> None:
    customer_id = await new_customer(kernel, admin)
    command = RecordInteraction(customer_id=customer_id, type=InteractionType.NOTE, content="Prefers email")
    note = await RecordInteractionHandler(kernel)(admin, command)

    assert (note.author_id, note.occurred_at, note.subject) == (admin.user_id, START, None)
    pending = await InMemoryOutboxRelayStore(store, kernel.clock).claim(100, 30)
    recorded = [r.event for r in pending if r.event.type == events.INTERACTION_RECORDED]
    assert [(e.aggregate_id, e.payload["content"]) for e in recorded] == [(note.id, "Prefers email")]


async def test_interactions_list_newest_first_one_page_at_a_time(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    recorded = [await call(kernel, admin, customer_id, hours_ago=h) for h in (5, 1, 3)]
    newest_first = sorted(recorded, key=lambda i: i.occurred_at, reverse=True)

    first = await ListInteractionsHandler(kernel)(admin, customer_id, PageRequest(limit=2))
    rest = await ListInteractionsHandler(kernel)(admin, customer_id, PageRequest.of(2, first.next_cursor))

    assert [*first.items, *rest.items] == newest_first
    assert rest.next_cursor is None


async def test_an_empty_interaction_is_refused_and_leaves_no_trace(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    with pytest.raises(ValidationError) as raised:
        await RecordInteractionHandler(kernel)(
            admin, RecordInteraction(customer_id=customer_id, type=InteractionType.EMAIL, subject=" ")
        )
    assert raised.value.errors[0].field == "subject"
    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.interactions.count_for_customer(customer_id) == 0
        actions = [e.action for e in await uow.audit.list_for_customer(customer_id, 100)]
    assert actions == [events.CUSTOMER_CREATED]


async def test_an_archived_customer_takes_no_new_interactions_but_keeps_its_log(
    kernel: Kernel, admin: Actor
) -> None:
    customer_id = await new_customer(kernel, admin)
    earlier = await call(kernel, admin, customer_id)
    await ArchiveCustomerHandler(kernel)(admin, customer_id)

    with pytest.raises(Conflict):
        await call(kernel, admin, customer_id)
    assert list((await ListInteractionsHandler(kernel)(admin, customer_id)).items) == [earlier]


async def test_unknown_and_foreign_customers_are_not_found(kernel: Kernel, admin: Actor) -> None:
    other = await make_tenant(kernel, slug="globex")
    customer_id = await new_customer(kernel, admin)
    for actor, target in ((admin, uuid4()), (other, customer_id)):
        with pytest.raises(NotFound):
            await call(kernel, actor, target)
        with pytest.raises(NotFound):
            await ListInteractionsHandler(kernel)(actor, target)


async def test_agents_record_only_on_customers_they_own(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    theirs = await new_customer(kernel, admin, owner=agent)
    someone_elses = await new_customer(kernel, admin)

    assert (await call(kernel, agent, theirs)).author_id == agent.user_id
    with pytest.raises(PermissionDenied):
        await call(kernel, agent, someone_elses)
    assert list((await ListInteractionsHandler(kernel)(agent, someone_elses)).items) == []


async def test_viewers_read_interactions_but_record_none(kernel: Kernel, admin: Actor) -> None:
    viewer = await make_user(kernel, admin, Role.VIEWER)
    customer_id = await new_customer(kernel, admin)
    logged = await call(kernel, admin, customer_id)

    assert list((await ListInteractionsHandler(kernel)(viewer, customer_id)).items) == [logged]
    with pytest.raises(PermissionDenied):
        await call(kernel, viewer, customer_id)


async def test_restricted_agents_cannot_see_other_customers_interactions(
    kernel: Kernel, admin: Actor
) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    hidden = await new_customer(kernel, admin)
    await call(kernel, admin, hidden)
    settings = TenantSettings(agents_see_only_own_customers=True)
    await ChangeTenantSettingsHandler(kernel)(admin, ChangeTenantSettings(settings=settings))

    with pytest.raises(NotFound):
        await ListInteractionsHandler(kernel)(agent, hidden)
    with pytest.raises(NotFound):
        await call(kernel, agent, hidden)
