"""Interaction use cases: who may record a contact on a customer, and how the log reads back."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest
from attrs import evolve
from hypothesis import given
from hypothesis import strategies as st

from lana_core.domain import events
from lana_core.domain.api_keys import ApiKeyRef
from lana_core.domain.interactions import Interaction, InteractionType
from lana_core.domain.pagination import PageRequest
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.errors import Conflict, NotFound, PermissionDenied, StaleVersion, ValidationError
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore, ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases._insight_generation import gather_context
from lana_core.usecases.customers import ArchiveCustomerHandler, CreateCustomer, CreateCustomerHandler
from lana_core.usecases.interactions import (
    DeleteInteractionHandler,
    GetInteractionHandler,
    ListInteractionsHandler,
    RecordInteraction,
    RecordInteractionHandler,
    UpdateInteraction,
    UpdateInteractionHandler,
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


async def test_an_edit_changes_only_the_fields_it_names_and_is_published(
    kernel: Kernel, admin: Actor, store: InMemoryStore, clock: ManualClock
) -> None:
    customer_id = await new_customer(kernel, admin)
    logged = await call(kernel, admin, customer_id, hours_ago=2)
    clock.advance(timedelta(minutes=5))

    edited = await UpdateInteractionHandler(kernel)(
        admin,
        UpdateInteraction(
            customer_id=customer_id, interaction_id=logged.id, expected_version=1, content="Left a message"
        ),
    )

    assert (edited.subject, edited.content, edited.type) == (logged.subject, "Left a message", logged.type)
    assert (edited.version, edited.edited_at, edited.created_at) == (2, clock.now(), logged.created_at)
    assert await GetInteractionHandler(kernel)(admin, customer_id, logged.id) == edited
    pending = await InMemoryOutboxRelayStore(store, kernel.clock).claim(100, 30)
    updated = [r.event for r in pending if r.event.type == events.INTERACTION_UPDATED]
    assert [(e.aggregate_id, e.aggregate_version) for e in updated] == [(logged.id, 2)]


async def test_an_edit_is_checked_as_a_record_is(kernel: Kernel, admin: Actor) -> None:
    customer_id = await new_customer(kernel, admin)
    logged = await call(kernel, admin, customer_id)
    update = UpdateInteractionHandler(kernel)

    for change, field in (
        ({"subject": "bell\x07"}, "subject"),
        ({"subject": "two\nlines"}, "subject"),
        ({"content": "nul\x00"}, "content"),
        ({"subject": None, "content": " "}, "subject"),
        ({"subject": "x" * 301}, "subject"),
        ({"occurred_at": datetime(2026, 1, 1)}, "occurred_at"),  # naive on purpose
    ):
        with pytest.raises(ValidationError) as raised:
            await update(
                admin, UpdateInteraction(customer_id=customer_id, interaction_id=logged.id, **change)
            )
        assert [e.field for e in raised.value.errors] == [field], change
    assert await GetInteractionHandler(kernel)(admin, customer_id, logged.id) == logged


async def test_a_deleted_interaction_is_gone_and_counts_no_more(
    kernel: Kernel, admin: Actor, store: InMemoryStore
) -> None:
    customer_id = await new_customer(kernel, admin)
    kept = await call(kernel, admin, customer_id, hours_ago=30)
    latest = await call(kernel, admin, customer_id, hours_ago=1)

    await DeleteInteractionHandler(kernel)(admin, customer_id, latest.id, expected_version=1)

    assert list((await ListInteractionsHandler(kernel)(admin, customer_id)).items) == [kept]
    with pytest.raises(NotFound):
        await GetInteractionHandler(kernel)(admin, customer_id, latest.id)
    async with kernel.uow(admin.tenant_id) as uow:
        customer = await uow.customers.get(customer_id)
        assert customer is not None
        context = await gather_context(uow, customer, START)
    assert (context.interaction_count, context.days_since_last_interaction) == (1, 1)
    pending = await InMemoryOutboxRelayStore(store, kernel.clock).claim(100, 30)
    deleted = [r.event for r in pending if r.event.type == events.INTERACTION_DELETED]
    assert [(e.aggregate_id, e.payload["subject"]) for e in deleted] == [(latest.id, latest.subject)]


async def test_the_author_or_a_manager_changes_an_interaction_and_no_one_else(
    kernel: Kernel, admin: Actor
) -> None:
    author = await make_user(kernel, admin, Role.AGENT)
    colleague = await make_user(kernel, admin, Role.AGENT)
    viewer = await make_user(kernel, admin, Role.VIEWER)
    manager = await make_user(kernel, admin, Role.MANAGER)
    customer_id = await new_customer(kernel, admin, owner=author)
    first, second = await call(kernel, author, customer_id), await call(kernel, author, customer_id)

    def edit(interaction: Interaction) -> UpdateInteraction:
        return UpdateInteraction(customer_id=customer_id, interaction_id=interaction.id, subject="Edited")

    for refused in (colleague, viewer):
        with pytest.raises(PermissionDenied):
            await UpdateInteractionHandler(kernel)(refused, edit(first))
        with pytest.raises(PermissionDenied):
            await DeleteInteractionHandler(kernel)(refused, customer_id, first.id)
    assert (await UpdateInteractionHandler(kernel)(author, edit(first))).subject == "Edited"
    assert (await UpdateInteractionHandler(kernel)(manager, edit(second))).subject == "Edited"
    await DeleteInteractionHandler(kernel)(author, customer_id, first.id)
    await DeleteInteractionHandler(kernel)(manager, customer_id, second.id)
    assert list((await ListInteractionsHandler(kernel)(admin, customer_id)).items) == []


async def test_a_stale_version_another_customer_or_an_archived_one_changes_nothing(
    kernel: Kernel, admin: Actor
) -> None:
    customer_id, other_customer = await new_customer(kernel, admin), await new_customer(kernel, admin)
    logged = await call(kernel, admin, customer_id)
    update, delete = UpdateInteractionHandler(kernel), DeleteInteractionHandler(kernel)
    edited = await update(
        admin, UpdateInteraction(customer_id=customer_id, interaction_id=logged.id, subject="v2")
    )

    with pytest.raises(StaleVersion):
        await update(
            admin,
            UpdateInteraction(
                customer_id=customer_id, interaction_id=logged.id, expected_version=1, subject="x"
            ),
        )
    with pytest.raises(StaleVersion):
        await delete(admin, customer_id, logged.id, expected_version=1)
    with pytest.raises(NotFound):
        await delete(admin, other_customer, logged.id)
    with pytest.raises(NotFound):
        await update(admin, UpdateInteraction(customer_id=customer_id, interaction_id=uuid4(), subject="x"))
    await ArchiveCustomerHandler(kernel)(admin, customer_id)
    with pytest.raises(Conflict):
        await delete(admin, customer_id, logged.id)
    assert await GetInteractionHandler(kernel)(admin, customer_id, logged.id) == edited


async def test_an_interaction_list_counts_the_customers_interactions_only_when_asked(
    kernel: Kernel, admin: Actor
) -> None:
    customer_id = await new_customer(kernel, admin)
    for hours in (1, 2, 3):
        await call(kernel, admin, customer_id, hours_ago=hours)
    await call(kernel, admin, await new_customer(kernel, admin))
    list_interactions = ListInteractionsHandler(kernel)

    counted = await list_interactions(admin, customer_id, PageRequest(limit=1), with_total=True)

    assert (len(counted.items), counted.total) == (1, 3)
    assert (await list_interactions(admin, customer_id, PageRequest(limit=1))).total is None


@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(InteractionType), st.from_regex(r"[A-Za-z][A-Za-z ]{0,40}", fullmatch=True)
        ),
        max_size=5,
    )
)
def test_an_interaction_recorded_with_a_key_stays_the_keys_through_every_correction(
    edits: list[tuple[InteractionType, str]],
) -> None:
    key = ApiKeyRef(uuid4(), "n8n")
    recorded = Interaction.record(
        id=uuid4(),
        tenant_id=uuid4(),
        customer_id=uuid4(),
        type=InteractionType.NOTE,
        subject="From n8n",
        content=None,
        occurred_at=None,
        author_id=uuid4(),
        now=START,
    )
    interaction = evolve(recorded, recorded_by_api_key=key)

    for number, (kind, subject) in enumerate(edits, start=1):
        now = START + timedelta(minutes=number)
        interaction = interaction.edit(type=kind, subject=subject, content=None, occurred_at=None, now=now)

    assert (interaction.recorded_by_api_key, interaction.author_id) == (key, recorded.author_id)
