"""Customer use cases: validation, normalisation, events, partial edits, versions."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from lana_core.domain import events
from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore, ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import (
    CreateCustomer,
    CreateCustomerHandler,
    GetCustomerHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)
from tests import strategies
from tests.support import make_kernel, make_tenant, make_user


async def _published_types(store: InMemoryStore, clock: ManualClock) -> list[str]:
    relay = InMemoryOutboxRelayStore(store, clock)
    records = await relay.claim(1_000, 60)
    await relay.mark_published([r.event.id for r in records])
    return [r.event.type for r in records]


async def test_invalid_input_names_every_offending_field(kernel: Kernel, admin: Actor) -> None:
    command = CreateCustomer(
        name="   ",
        email="grace at navy",
        phone="12",
        tags=("Not a tag!",),
        attributes={"1st": "x"},
    )

    with pytest.raises(ValidationError) as raised:
        await CreateCustomerHandler(kernel)(admin, command)

    fields = {error.field: error.code for error in raised.value.errors}
    assert fields == {
        "name": "required",
        "email": "invalid_email",
        "phone": "invalid_phone",
        "tags": "invalid_tag",
        "attributes.1st": "invalid_key",
    }


async def test_contact_details_are_stored_in_their_normal_form(kernel: Kernel, admin: Actor) -> None:
    command = CreateCustomer(
        name="  Grace Hopper ",
        email=" Grace@Navy.MIL ",
        phone="+1 (555) 010-2030",
        company=" ",
        tags=("VIP", " vip ", "Navy"),
    )

    made = await CreateCustomerHandler(kernel)(admin, command)

    assert (made.name, made.email, made.phone, made.company) == (
        "Grace Hopper",
        "grace@navy.mil",
        "+15550102030",
        None,
    )
    assert made.tags == ("navy", "vip")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=strategies.raw_emails())
async def test_any_way_of_typing_an_email_stores_its_normal_form(typed: tuple[str, str]) -> None:
    kernel = make_kernel()
    admin = await make_tenant(kernel)
    raw, clean = typed

    made = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Someone", email=raw))

    assert made.email == clean


async def test_a_high_value_customer_also_announces_itself_as_such(
    kernel: Kernel, admin: Actor, store: InMemoryStore, clock: ManualClock
) -> None:
    create = CreateCustomerHandler(kernel)
    await _published_types(store, clock)

    await create(admin, CreateCustomer(name="Big", value=CustomerValue.HIGH))
    await create(admin, CreateCustomer(name="Small", value=CustomerValue.LOW))

    assert await _published_types(store, clock) == [
        events.CUSTOMER_CREATED,
        events.CUSTOMER_CREATED_HIGH_VALUE,
        events.CUSTOMER_CREATED,
    ]


async def test_a_viewer_cannot_create_customers(kernel: Kernel, admin: Actor) -> None:
    viewer = await make_user(kernel, admin, Role.VIEWER)

    with pytest.raises(PermissionDenied):
        await CreateCustomerHandler(kernel)(viewer, CreateCustomer(name="Nobody"))


async def test_an_update_changes_only_the_fields_it_sets_and_none_clears(
    kernel: Kernel, admin: Actor
) -> None:
    made = await CreateCustomerHandler(kernel)(
        admin, CreateCustomer(name="Grace", email="grace@navy.mil", company="Navy", tags=("vip",))
    )

    changed = await UpdateCustomerHandler(kernel)(
        admin, UpdateCustomer(customer_id=made.id, company=None, notes="Prefers email")
    )

    assert (changed.name, changed.email, changed.tags) == ("Grace", "grace@navy.mil", ("vip",))
    assert (changed.company, changed.notes) == (None, "Prefers email")
    assert changed.version == made.version + 1


async def test_an_update_against_another_version_is_a_conflict(kernel: Kernel, admin: Actor) -> None:
    made = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Grace"))
    update = UpdateCustomerHandler(kernel)
    await update(admin, UpdateCustomer(customer_id=made.id, expected_version=1, name="Grace H."))

    with pytest.raises(Conflict):
        await update(admin, UpdateCustomer(customer_id=made.id, expected_version=1, name="Stale"))


async def test_reading_a_customer_includes_its_project_and_task_stats(kernel: Kernel, admin: Actor) -> None:
    made = await CreateCustomerHandler(kernel)(
        admin, CreateCustomer(name="Grace", status=CustomerStatus.ACTIVE)
    )

    view = await GetCustomerHandler(kernel)(admin, made.id)

    assert view.customer == made
    assert (view.project_stats.total, view.task_stats.total, view.task_stats.completion_rate) == (0, 0, 0.0)


async def test_an_unknown_customer_is_not_found(kernel: Kernel, admin: Actor) -> None:
    with pytest.raises(NotFound):
        await GetCustomerHandler(kernel)(admin, admin.user_id)
