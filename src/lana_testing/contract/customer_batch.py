"""Creating customers in a batch: the rows a single create writes, for every item, or nothing at all."""

from __future__ import annotations

import itertools
from uuid import uuid4

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lana_core.domain.customers import CustomerValue
from lana_core.domain.pagination import MAX_LIMIT, PageRequest
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import Conflict, PermissionDenied, ValidationError
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customer_batch import (
    MAX_CUSTOMERS_PER_BATCH,
    CreateCustomersBatch,
    CreateCustomersBatchHandler,
)
from lana_core.usecases.customers import (
    ArchiveCustomerHandler,
    CreateCustomer,
    CreateCustomerHandler,
    ListCustomersHandler,
)
from lana_testing import strategies
from lana_testing.contract import builders
from lana_testing.contract.adapter_sets import Adapters
from lana_testing.contract.fixtures import adapters, admin, clock, kernel
from lana_testing.contract.observe import everything
from lana_testing.support import make_tenant, make_user

_slugs = itertools.count()


def _batch(*commands: CreateCustomer) -> CreateCustomersBatch:
    return CreateCustomersBatch(customers=commands)


def _people(count: int) -> list[CreateCustomer]:
    return [CreateCustomer(name=f"Person {n}", email=f"person{n}@example.com") for n in range(count)]


async def test_a_batch_writes_each_customer_with_its_event_audit_entry_and_analytics_row(
    adapters: Adapters, admin: Actor
) -> None:
    kernel, relay = adapters.kernel, adapters.relay
    before = await everything(kernel, relay, admin.tenant_id)

    made = await CreateCustomersBatchHandler(kernel)(admin, _batch(*_people(5)))

    after = await everything(kernel, relay, admin.tenant_id)
    assert sorted(c.email or "" for c in after.customers) == [f"person{n}@example.com" for n in range(5)]
    assert {c.id for c in after.customers} == {c.id for c in made}
    assert len(after.audit) - len(before.audit) == 5
    assert after.pending_events - before.pending_events == 5
    assert after.analytics_events - before.analytics_events == 5


async def test_a_batch_records_exactly_what_single_creates_record(adapters: Adapters) -> None:
    kernel, relay = adapters.kernel, adapters.relay
    one_by_one = await make_tenant(kernel, "singles")
    batched = await make_tenant(kernel, "batched")
    commands = [
        CreateCustomer(name="Ada", email="ada@example.com", value=CustomerValue.HIGH),
        CreateCustomer(name="Grace", value=CustomerValue.LOW, tags=("navy",)),
    ]
    for command in commands:
        await CreateCustomerHandler(kernel)(one_by_one, command)
    await CreateCustomersBatchHandler(kernel)(batched, _batch(*commands))

    singles = await everything(kernel, relay, one_by_one.tenant_id)
    batch = await everything(kernel, relay, batched.tenant_id)
    assert [e.action for e in batch.audit] == [e.action for e in singles.audit]
    assert "customer.created.high_value" in {e.action for e in batch.audit}
    assert (batch.pending_events, batch.analytics_events) == (
        singles.pending_events,
        singles.analytics_events,
    )
    assert [(c.name, c.email, c.value, c.tags) for c in sorted(batch.customers, key=lambda c: c.name)] == [
        (c.name, c.email, c.value, c.tags) for c in sorted(singles.customers, key=lambda c: c.name)
    ]


async def test_one_invalid_item_refuses_the_batch_naming_the_item(adapters: Adapters, admin: Actor) -> None:
    kernel, relay = adapters.kernel, adapters.relay
    before = await everything(kernel, relay, admin.tenant_id)
    commands = _people(4)
    commands[2] = attrs.evolve(commands[2], email="not-an-address")
    commands[3] = attrs.evolve(commands[3], name=" ")

    with pytest.raises(ValidationError) as raised:
        await CreateCustomersBatchHandler(kernel)(admin, _batch(*commands))

    assert {e.field for e in raised.value.errors} == {"customers[2].email", "customers[3].name"}
    assert await everything(kernel, relay, admin.tenant_id) == before


async def test_two_items_with_one_email_are_a_conflict_and_nothing_is_written(
    adapters: Adapters, admin: Actor
) -> None:
    kernel, relay = adapters.kernel, adapters.relay
    before = await everything(kernel, relay, admin.tenant_id)
    commands = [*_people(3), CreateCustomer(name="Twin", email="  PERSON1@example.com ")]

    with pytest.raises(Conflict, match=r"customers\[3\]\.email") as raised:
        await CreateCustomersBatchHandler(kernel)(admin, _batch(*commands))

    assert [(e.field, e.code) for e in raised.value.errors] == [
        ("customers[1].email", "repeated"),
        ("customers[3].email", "repeated"),
    ]
    assert await everything(kernel, relay, admin.tenant_id) == before


async def test_an_email_taken_in_the_tenant_refuses_the_whole_batch(adapters: Adapters, admin: Actor) -> None:
    kernel, relay = adapters.kernel, adapters.relay
    await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Grace", email="grace@navy.mil"))
    before = await everything(kernel, relay, admin.tenant_id)
    commands = [*_people(3), CreateCustomer(name="Other Grace", email=" Grace@Navy.mil")]

    with pytest.raises(Conflict) as raised:
        await CreateCustomersBatchHandler(kernel)(admin, _batch(*commands))

    assert [(e.field, e.code) for e in raised.value.errors] == [("customers[3].email", "taken")]
    assert await everything(kernel, relay, admin.tenant_id) == before


async def test_an_email_kept_by_an_archived_customer_is_named_as_taken(kernel: Kernel, admin: Actor) -> None:
    archived = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Old", email="old@example.com"))
    await ArchiveCustomerHandler(kernel)(admin, archived.id)
    commands = [CreateCustomer(name="New", email="old@example.com"), *_people(2)]

    with pytest.raises(Conflict) as raised:
        await CreateCustomersBatchHandler(kernel)(admin, _batch(*commands))

    assert [e.field for e in raised.value.errors] == ["customers[0].email"]


async def test_emails_taken_names_the_stored_ones_of_this_tenant_only(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    _, asked = await builders.emails_of_two_tenants(kernel, admin, clock.now())

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.customers.emails_taken(asked) == {"mine@example.com"}
        assert await uow.customers.emails_taken([]) == set()


async def test_an_agents_batch_is_its_own_and_may_not_name_another_owner(
    kernel: Kernel, admin: Actor
) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    create = CreateCustomersBatchHandler(kernel)

    made = await create(agent, _batch(*_people(2)))
    assert {c.owner_id for c in made} == {agent.user_id}

    with pytest.raises(ValidationError) as raised:
        await create(
            agent, _batch(CreateCustomer(name="Mine"), CreateCustomer(name="Not", owner_id=admin.user_id))
        )
    assert [e.field for e in raised.value.errors] == ["customers[1].owner_id"]


async def test_an_unknown_owner_is_named_by_item(kernel: Kernel, admin: Actor) -> None:
    stranger = uuid4()
    commands = [CreateCustomer(name="A", owner_id=stranger), CreateCustomer(name="B", owner_id=admin.user_id)]

    with pytest.raises(ValidationError) as raised:
        await CreateCustomersBatchHandler(kernel)(admin, _batch(*commands, commands[0]))

    assert [e.field for e in raised.value.errors] == ["customers[0].owner_id", "customers[2].owner_id"]


async def test_a_viewer_may_not_create_a_batch(kernel: Kernel, admin: Actor) -> None:
    viewer = await make_user(kernel, admin, Role.VIEWER)

    with pytest.raises(PermissionDenied):
        await CreateCustomersBatchHandler(kernel)(viewer, _batch(*_people(1)))


@pytest.mark.parametrize("count", [0, MAX_CUSTOMERS_PER_BATCH + 1])
async def test_an_empty_or_oversized_batch_is_refused(kernel: Kernel, admin: Actor, count: int) -> None:
    commands = [CreateCustomer(name=f"P{n}") for n in range(count)]

    with pytest.raises(ValidationError) as raised:
        await CreateCustomersBatchHandler(kernel)(admin, _batch(*commands))

    assert [e.field for e in raised.value.errors] == ["customers"]


async def test_add_many_with_a_taken_email_raises_conflict_and_nothing_is_stored(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    taken = builders.customer(admin.tenant_id, clock.now(), email="grace@navy.mil")
    await builders.commit_new(kernel, admin.tenant_id, lambda uow: uow.customers.add(taken))
    fresh = builders.customer(admin.tenant_id, clock.now(), email="ada@example.com")
    twin = builders.customer(admin.tenant_id, clock.now(), email="grace@navy.mil")

    async with kernel.uow(admin.tenant_id) as uow:
        with pytest.raises(Conflict):
            await uow.customers.add_many([fresh, twin])

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.customers.get(fresh.id) is None


_unique_commands = st.lists(
    strategies.create_customer_commands(email=st.none()),
    min_size=1,
    max_size=8,
).map(
    lambda commands: [
        attrs.evolve(c, email=f"c{n}@example.com") if n % 2 else c for n, c in enumerate(commands)
    ]
)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(commands=_unique_commands)
async def test_every_item_of_a_batch_reads_back_as_a_single_create_would_store_it(
    adapters: Adapters, commands: list[CreateCustomer]
) -> None:
    kernel = adapters.kernel
    admin = await make_tenant(kernel, f"batch-{next(_slugs)}-{uuid4().hex[:6]}")

    made = await CreateCustomersBatchHandler(kernel)(admin, _batch(*commands))

    async with kernel.uow(admin.tenant_id) as uow:
        stored = [await uow.customers.get(c.id) for c in made]
        listed = await uow.customers.list(CustomerQuery(page=PageRequest(limit=MAX_LIMIT)))
    assert stored == list(made)
    assert {c.id for c in listed.items} == {c.id for c in made}
    assert [(c.name, c.status, c.value) for c in made] == [
        (c.name.strip(), c.status, c.value) for c in commands
    ]


async def test_every_customer_of_a_batch_is_found_by_its_text(kernel: Kernel, admin: Actor) -> None:
    # On PostgreSQL one statement inserts the whole batch; the search copy must hold every row.
    companies = ["Quillon", "Vexaria", "Borantis"]
    commands = [
        CreateCustomer(name=f"Person {n}", email=f"p{n}@example.com", company=company)
        for n, company in enumerate(companies)
    ]
    made = await CreateCustomersBatchHandler(kernel)(admin, _batch(*commands))

    listing = ListCustomersHandler(kernel)
    for customer, company in zip(made, companies, strict=True):
        page = await listing(admin, CustomerQuery(text=company[1:6].lower()))
        assert [found.id for found in page.items] == [customer.id]


async def test_add_many_refuses_two_new_customers_sharing_an_email(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    one = builders.customer(admin.tenant_id, clock.now(), email="twin@example.com")
    two = builders.customer(admin.tenant_id, clock.now(), email="twin@example.com")

    async with kernel.uow(admin.tenant_id) as uow:
        with pytest.raises(Conflict):
            await uow.customers.add_many([one, two])

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.customers.get(one.id) is None


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "test_a_batch_writes_each_customer_with_its_event_audit_entry_and_analytics_row",
    "test_a_batch_records_exactly_what_single_creates_record",
    "test_one_invalid_item_refuses_the_batch_naming_the_item",
    "test_two_items_with_one_email_are_a_conflict_and_nothing_is_written",
    "test_an_email_taken_in_the_tenant_refuses_the_whole_batch",
    "test_an_email_kept_by_an_archived_customer_is_named_as_taken",
    "test_emails_taken_names_the_stored_ones_of_this_tenant_only",
    "test_an_agents_batch_is_its_own_and_may_not_name_another_owner",
    "test_an_unknown_owner_is_named_by_item",
    "test_a_viewer_may_not_create_a_batch",
    "test_an_empty_or_oversized_batch_is_refused",
    "test_add_many_with_a_taken_email_raises_conflict_and_nothing_is_stored",
    "test_every_item_of_a_batch_reads_back_as_a_single_create_would_store_it",
    "test_add_many_refuses_two_new_customers_sharing_an_email",
    "test_every_customer_of_a_batch_is_found_by_its_text",
]
