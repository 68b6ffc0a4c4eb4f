"""Unique keys: customer emails and external ids and user emails per tenant, tenant slugs across the store."""

from __future__ import annotations

import attrs
import pytest

from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import Conflict
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import (
    CreateCustomer,
    CreateCustomerHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)
from lana_core.usecases.tenants import CreateUser, CreateUserHandler
from lana_testing.contract import builders
from lana_testing.contract.fixtures import adapters, admin, clock, kernel
from lana_testing.support import FAST_HASHER, PASSWORD, make_tenant


async def test_a_customer_email_taken_in_the_tenant_is_a_conflict_whatever_its_case(
    kernel: Kernel, admin: Actor
) -> None:
    create = CreateCustomerHandler(kernel)
    await create(admin, CreateCustomer(name="Grace", email="grace@navy.mil"))

    with pytest.raises(Conflict):
        await create(admin, CreateCustomer(name="Other Grace", email="  GRACE@Navy.MIL "))


async def test_customers_without_email_never_clash(kernel: Kernel, admin: Actor) -> None:
    create = CreateCustomerHandler(kernel)
    await create(admin, CreateCustomer(name="Anonymous"))
    await create(admin, CreateCustomer(name="Anonymous", email="  "))


async def test_the_same_email_may_be_used_in_two_tenants(kernel: Kernel, admin: Actor) -> None:
    other_admin = await make_tenant(kernel, "globex")
    create = CreateCustomerHandler(kernel)

    first = await create(admin, CreateCustomer(name="Grace", email="grace@navy.mil"))
    second = await create(other_admin, CreateCustomer(name="Grace", email="grace@navy.mil"))

    assert first.email == second.email == "grace@navy.mil"


async def test_changing_to_a_taken_email_is_a_conflict(kernel: Kernel, admin: Actor) -> None:
    create, update = CreateCustomerHandler(kernel), UpdateCustomerHandler(kernel)
    await create(admin, CreateCustomer(name="Grace", email="grace@navy.mil"))
    ada = await create(admin, CreateCustomer(name="Ada", email="ada@example.com"))

    with pytest.raises(Conflict):
        await update(admin, UpdateCustomer(customer_id=ada.id, email="grace@navy.mil"))


async def test_an_email_given_up_can_be_taken_by_another_customer(kernel: Kernel, admin: Actor) -> None:
    create, update = CreateCustomerHandler(kernel), UpdateCustomerHandler(kernel)
    grace = await create(admin, CreateCustomer(name="Grace", email="grace@navy.mil"))
    await update(admin, UpdateCustomer(customer_id=grace.id, email="grace@hopper.dev"))

    taken = await create(admin, CreateCustomer(name="New Grace", email="grace@navy.mil"))

    assert taken.email == "grace@navy.mil"


async def test_two_customers_may_swap_emails_in_one_unit(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    one = builders.customer(admin.tenant_id, clock.now(), email="one@example.com")
    two = builders.customer(admin.tenant_id, clock.now(), email="two@example.com")
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.add(one)
        await uow.customers.add(two)
        await uow.commit()

    async with kernel.uow(admin.tenant_id) as uow:
        await uow.customers.update(attrs.evolve(one, email=None, version=2))
        await uow.customers.update(attrs.evolve(two, email="one@example.com", version=2))
        await uow.customers.update(attrs.evolve(one, email="two@example.com", version=3))
        await uow.commit()

    async with kernel.uow(admin.tenant_id) as uow:
        swapped = await uow.customers.get(one.id), await uow.customers.get(two.id)
    assert [c.email for c in swapped if c is not None] == ["two@example.com", "one@example.com"]


async def test_racing_units_adding_one_email_commit_once(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    first, second = kernel.uow(admin.tenant_id), kernel.uow(admin.tenant_id)
    async with first, second:
        await first.customers.add(builders.customer(admin.tenant_id, clock.now(), email="grace@navy.mil"))
        await first.commit()
        twin = builders.customer(admin.tenant_id, clock.now(), email="grace@navy.mil")
        with pytest.raises(Conflict):
            await builders.commit_in(second, lambda uow: uow.customers.add(twin))


async def test_a_user_email_is_unique_in_its_tenant(kernel: Kernel, admin: Actor) -> None:
    create = CreateUserHandler(kernel, FAST_HASHER)
    command = CreateUser(email="lin@example.com", name="Lin", role=Role.AGENT, password=PASSWORD)
    await create(admin, command)

    with pytest.raises(Conflict):
        await create(admin, attrs.evolve(command, email="LIN@example.com", name="Other Lin"))


async def test_a_user_email_may_repeat_across_tenants(kernel: Kernel, admin: Actor) -> None:
    other_admin = await make_tenant(kernel, "globex")
    create = CreateUserHandler(kernel, FAST_HASHER)
    command = CreateUser(email="lin@example.com", name="Lin", role=Role.AGENT, password=PASSWORD)

    await create(admin, command)
    await create(other_admin, command)


async def test_a_tenant_slug_is_unique_across_the_store(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    with pytest.raises(Conflict):
        await make_tenant(kernel, "acme")

    twin = builders.tenant(clock.now(), slug="acme")
    with pytest.raises(Conflict):
        await builders.commit_new(kernel, twin.id, lambda uow: uow.tenants.add(twin))


async def test_an_external_id_is_unique_in_its_tenant_and_free_across_tenants(
    kernel: Kernel, admin: Actor
) -> None:
    other_admin = await make_tenant(kernel, "initech")
    create, update = CreateCustomerHandler(kernel), UpdateCustomerHandler(kernel)
    await create(admin, CreateCustomer(name="Grace", external_id=" crm-1 "))
    ada = await create(admin, CreateCustomer(name="Ada", external_id="crm-2"))
    elsewhere = await create(other_admin, CreateCustomer(name="Grace", external_id="crm-1"))

    with pytest.raises(Conflict):
        await create(admin, CreateCustomer(name="Twin", external_id="crm-1"))
    with pytest.raises(Conflict):
        await update(admin, UpdateCustomer(customer_id=ada.id, external_id="crm-1"))
    assert elsewhere.external_id == "crm-1"


async def test_customers_without_external_id_never_clash_and_one_given_up_is_free(
    kernel: Kernel, admin: Actor
) -> None:
    create, update = CreateCustomerHandler(kernel), UpdateCustomerHandler(kernel)
    await create(admin, CreateCustomer(name="Anonymous"))
    await create(admin, CreateCustomer(name="Anonymous", external_id="  "))
    grace = await create(admin, CreateCustomer(name="Grace", external_id="crm-1"))
    cleared = await update(admin, UpdateCustomer(customer_id=grace.id, external_id=None))

    taken = await create(admin, CreateCustomer(name="New Grace", external_id="crm-1"))

    assert (cleared.external_id, taken.external_id) == (None, "crm-1")
    async with kernel.uow(admin.tenant_id) as uow:
        assert [c.id for c in await uow.customers.with_external_ids(["crm-1", "crm-9"])] == [taken.id]


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "test_a_customer_email_taken_in_the_tenant_is_a_conflict_whatever_its_case",
    "test_customers_without_email_never_clash",
    "test_the_same_email_may_be_used_in_two_tenants",
    "test_changing_to_a_taken_email_is_a_conflict",
    "test_an_email_given_up_can_be_taken_by_another_customer",
    "test_two_customers_may_swap_emails_in_one_unit",
    "test_racing_units_adding_one_email_commit_once",
    "test_a_user_email_is_unique_in_its_tenant",
    "test_a_user_email_may_repeat_across_tenants",
    "test_a_tenant_slug_is_unique_across_the_store",
    "test_an_external_id_is_unique_in_its_tenant_and_free_across_tenants",
    "test_customers_without_external_id_never_clash_and_one_given_up_is_free",
]
