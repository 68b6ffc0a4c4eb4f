"""Tenant isolation: however two tenants' commands interleave, neither sees or touches the other's records."""

from __future__ import annotations

import itertools
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lana_core.domain.customers import Customer, CustomerStatus
from lana_core.domain.pagination import MAX_LIMIT, PageRequest
from lana_core.domain.queries import Archived, CustomerQuery
from lana_core.domain.tenancy import Actor
from lana_core.errors import Conflict, NotFound
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import (
    ArchiveCustomerHandler,
    ChangeCustomerStatus,
    ChangeCustomerStatusHandler,
    CreateCustomer,
    CreateCustomerHandler,
    GetCustomerHandler,
    ListCustomersHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)
from lana_testing import strategies
from lana_testing.contract.adapter_sets import Adapters
from lana_testing.contract.fixtures import adapters, clock
from lana_testing.contract.observe import all_pages
from lana_testing.support import make_tenant

_slugs = itertools.count()

# A tiny pool, so the same address often turns up in both tenants (fine) and twice in one (a Conflict).
_emails = st.sampled_from(["a@example.com", "b@example.com", "c@example.com"])

_creates = st.tuples(st.just("create"), strategies.create_customer_commands(email=st.none() | _emails))
_renames = st.tuples(st.just("rename"), st.integers(0, 20), strategies.names)
_archives = st.tuples(st.just("archive"), st.integers(0, 20))
_activations = st.tuples(st.just("activate"), st.integers(0, 20))
_steps = st.tuples(st.sampled_from([0, 1]), st.one_of(_creates, _renames, _archives, _activations))


class _Tenant:
    """One tenant's admin and what the test expects that tenant to hold."""

    def __init__(self, admin: Actor) -> None:
        self.admin = admin
        self.customers: dict[UUID, Customer] = {}

    def emails(self) -> set[str]:
        return {c.email for c in self.customers.values() if c.email}

    def target(self, index: int) -> Customer | None:
        ordered = sorted(self.customers.values(), key=lambda c: c.created_at)
        return ordered[index % len(ordered)] if ordered else None


async def _apply(kernel: Kernel, tenant: _Tenant, step: tuple[object, ...]) -> None:
    kind = step[0]
    if kind == "create":
        command = step[1]
        assert isinstance(command, CreateCustomer)
        if command.email in tenant.emails():
            with pytest.raises(Conflict):
                await CreateCustomerHandler(kernel)(tenant.admin, command)
            return
        made = await CreateCustomerHandler(kernel)(tenant.admin, command)
        tenant.customers[made.id] = made
        return
    index = step[1]
    assert isinstance(index, int)
    customer = tenant.target(index)
    if customer is None or customer.is_archived:
        return
    changed = await _change(kernel, tenant.admin, customer, step)
    tenant.customers[changed.id] = changed


async def _change(kernel: Kernel, admin: Actor, customer: Customer, step: tuple[object, ...]) -> Customer:
    if step[0] == "rename":
        assert isinstance(step[2], str)
        return await UpdateCustomerHandler(kernel)(
            admin, UpdateCustomer(customer_id=customer.id, name=step[2])
        )
    if step[0] == "archive":
        return await ArchiveCustomerHandler(kernel)(admin, customer.id)
    if customer.status == CustomerStatus.ACTIVE:
        return customer
    command = ChangeCustomerStatus(customer_id=customer.id, status=CustomerStatus.ACTIVE)
    return await ChangeCustomerStatusHandler(kernel)(admin, command)


async def _listed(kernel: Kernel, admin: Actor) -> list[Customer]:
    list_customers = ListCustomersHandler(kernel)
    return list(
        await all_pages(
            lambda cursor: list_customers(
                admin, CustomerQuery(archived=Archived.INCLUDE, page=PageRequest.of(MAX_LIMIT, cursor))
            )
        )
    )


async def _assert_sees_only_its_own(kernel: Kernel, own: _Tenant, other: _Tenant) -> None:
    listed = await _listed(kernel, own.admin)
    assert sorted(listed, key=lambda c: c.id) == sorted(own.customers.values(), key=lambda c: c.id)
    async with kernel.uow(own.admin.tenant_id) as uow:
        counts = await uow.customers.counts()
        assert counts.total == sum(1 for c in own.customers.values() if not c.is_archived)
        for foreign in other.customers.values():
            assert await uow.customers.get(foreign.id) is None


async def _assert_cannot_reach(kernel: Kernel, actor: Actor, foreign: Customer) -> None:
    with pytest.raises(NotFound):
        await GetCustomerHandler(kernel)(actor, foreign.id)
    with pytest.raises(NotFound):
        await UpdateCustomerHandler(kernel)(actor, UpdateCustomer(customer_id=foreign.id, name="Hijacked"))
    with pytest.raises(NotFound):
        await ArchiveCustomerHandler(kernel)(actor, foreign.id)


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_steps, max_size=16))
async def test_interleaved_tenants_never_see_or_touch_each_others_customers(
    adapters: Adapters, steps: list[tuple[int, tuple[object, ...]]]
) -> None:
    kernel = adapters.kernel
    run = f"{next(_slugs)}-{uuid4().hex[:6]}"
    tenants = (
        _Tenant(await make_tenant(kernel, f"iso-a-{run}")),
        _Tenant(await make_tenant(kernel, f"iso-b-{run}")),
    )

    for which, step in steps:
        await _apply(kernel, tenants[which], step)
        await _assert_sees_only_its_own(kernel, tenants[which], tenants[1 - which])

    for own, other in (tenants, tenants[::-1]):
        await _assert_sees_only_its_own(kernel, own, other)
        for foreign in other.customers.values():
            await _assert_cannot_reach(kernel, own.admin, foreign)
    for tenant in tenants:
        for customer in tenant.customers.values():
            assert (await GetCustomerHandler(kernel)(tenant.admin, customer.id)).customer == customer


__all__ = [
    "adapters",
    "clock",
    "test_interleaved_tenants_never_see_or_touch_each_others_customers",
]
