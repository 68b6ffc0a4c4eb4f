"""A control character is refused by the core, naming the field, the same way on every adapter
(PostgreSQL cannot store NUL, SQLite can); the text it accepts reads back as it was written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from attrs import frozen

from lana_core.domain.analytics import Timeframe
from lana_core.domain.customers import Customer
from lana_core.domain.interactions import InteractionType
from lana_core.domain.projects import Project
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import Unauthenticated, ValidationError
from lana_core.ports import OutboxRelayStore
from lana_core.usecases._base import Kernel
from lana_core.usecases.analytics import GetUserMetricsHandler, IngestEvent, IngestEventHandler
from lana_core.usecases.customers import (
    CreateCustomer,
    CreateCustomerHandler,
    GetCustomerHandler,
    ListCustomersHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)
from lana_core.usecases.interactions import RecordInteraction, RecordInteractionHandler
from lana_core.usecases.projects import CreateProject, CreateProjectHandler
from lana_core.usecases.tasks import CreateTask, CreateTaskHandler
from lana_core.usecases.tenants import (
    Authenticate,
    AuthenticateHandler,
    CreateTenant,
    CreateTenantHandler,
    CreateUser,
    CreateUserHandler,
)
from lana_testing.contract.fixtures import adapters, admin, clock, kernel, relay
from lana_testing.contract.observe import everything
from lana_testing.support import FAST_HASHER, PASSWORD

NUL = "Ada\x00Lovelace"


@frozen
class Existing:
    customer: Customer
    project: Project


Command = Callable[[Kernel, Actor, Existing], Awaitable[Any]]

REFUSED: dict[str, tuple[Command, str]] = {
    "customer name": (lambda k, a, e: CreateCustomerHandler(k)(a, CreateCustomer(name=NUL)), "name"),
    "customer company": (
        lambda k, a, e: CreateCustomerHandler(k)(a, CreateCustomer(name="Ada", company=NUL)),
        "company",
    ),
    "customer notes": (
        lambda k, a, e: UpdateCustomerHandler(k)(a, UpdateCustomer(customer_id=e.customer.id, notes=NUL)),
        "notes",
    ),
    "customer attribute": (
        lambda k, a, e: CreateCustomerHandler(k)(a, CreateCustomer(name="Ada", attributes={"plan": NUL})),
        "attributes.plan",
    ),
    "project title": (
        lambda k, a, e: CreateProjectHandler(k)(a, CreateProject(customer_id=e.customer.id, title=NUL)),
        "title",
    ),
    "task description": (
        lambda k, a, e: CreateTaskHandler(k)(
            a, CreateTask(project_id=e.project.id, title="Call", description=NUL)
        ),
        "description",
    ),
    "interaction content": (
        lambda k, a, e: RecordInteractionHandler(k)(
            a, RecordInteraction(customer_id=e.customer.id, type=InteractionType.NOTE, content=NUL)
        ),
        "content",
    ),
    "user name": (
        lambda k, a, e: CreateUserHandler(k, FAST_HASHER)(
            a, CreateUser(email="lin@acme.test", name=NUL, role=Role.AGENT, password=PASSWORD)
        ),
        "name",
    ),
    "tenant name": (
        lambda k, a, e: CreateTenantHandler(k, FAST_HASHER)(
            CreateTenant(
                slug="initech",
                name=NUL,
                admin_email="bill@initech.test",
                admin_name="Bill",
                admin_password=PASSWORD,
            )
        ),
        "name",
    ),
    "event name": (lambda k, a, e: IngestEventHandler(k)(a, IngestEvent(name=NUL)), "name"),
    "event property": (
        lambda k, a, e: IngestEventHandler(k)(a, IngestEvent(name="signup", properties={"plan": NUL})),
        "properties.plan",
    ),
    "search text": (lambda k, a, e: ListCustomersHandler(k)(a, CustomerQuery(text=NUL)), "text"),
    "tag filter": (lambda k, a, e: ListCustomersHandler(k)(a, CustomerQuery(tag=NUL)), "tag"),
    "product user id": (
        lambda k, a, e: GetUserMetricsHandler(k)(a, NUL, Timeframe.DAY),
        "user_id",
    ),
}


async def _existing(kernel: Kernel, admin: Actor) -> Existing:
    customer = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Grace"))
    project = await CreateProjectHandler(kernel)(admin, CreateProject(customer_id=customer.id, title="Plan"))
    return Existing(customer, project)


@pytest.mark.parametrize("refusal", REFUSED.values(), ids=REFUSED.keys())
async def test_a_nul_in_any_text_is_refused_by_field_name_and_changes_nothing(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, refusal: tuple[Command, str]
) -> None:
    command, field = refusal
    existing = await _existing(kernel, admin)
    before = await everything(kernel, relay, admin.tenant_id)

    with pytest.raises(ValidationError) as raised:
        await command(kernel, admin, existing)

    assert [(e.field, e.code) for e in raised.value.errors] == [(field, "invalid_character")]
    assert await everything(kernel, relay, admin.tenant_id) == before


async def test_a_sign_in_naming_a_control_character_is_an_unknown_account(
    kernel: Kernel, admin: Actor
) -> None:
    sign_in = AuthenticateHandler(kernel, FAST_HASHER)
    for slug, email in (("acme\x00", "admin@acme.example.com"), ("acme", "admin\x00@acme.example.com")):
        with pytest.raises(Unauthenticated):
            await sign_in(Authenticate(tenant_slug=slug, email=email, password=PASSWORD))


async def test_multi_line_text_reads_back_as_written(kernel: Kernel, admin: Actor) -> None:
    notes = "Met at the fair.\r\n\tWants a demo — ünïcödé, 漢字, 🎉\u2028and a follow-up."
    command = CreateCustomer(
        name="Grace\u00a0Hopper", notes=notes, attributes={"address": "1 Main St\n2nd floor"}
    )
    created = await CreateCustomerHandler(kernel)(admin, command)

    stored = (await GetCustomerHandler(kernel)(admin, created.id)).customer

    assert (stored.name, stored.notes, dict(stored.attributes)) == (
        "Grace\u00a0Hopper",
        notes,
        {"address": "1 Main St\n2nd floor"},
    )


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "relay",
    "test_a_nul_in_any_text_is_refused_by_field_name_and_changes_nothing",
    "test_a_sign_in_naming_a_control_character_is_an_unknown_account",
    "test_multi_line_text_reads_back_as_written",
]
