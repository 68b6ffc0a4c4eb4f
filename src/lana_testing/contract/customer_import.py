"""Importing customers from CSV: every row applied as its use case would, or nothing at all."""

from __future__ import annotations

import codecs
import csv
import io
from uuid import UUID

import pytest

from lana_core.domain.customer_csv import EXPORT_COLUMNS, customer_row
from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.events import DomainEvent
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import PermissionDenied, ValidationError
from lana_core.memory import ManualClock
from lana_core.ports import OutboxRelayStore
from lana_core.usecases._base import Kernel
from lana_core.usecases.customer_import import ImportCustomers, ImportCustomersHandler, Outcome, RowOutcome
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from lana_testing.contract import builders
from lana_testing.contract.adapter_sets import Adapters
from lana_testing.contract.fixtures import adapters, admin, clock, kernel
from lana_testing.contract.observe import everything
from lana_testing.support import make_user


def _csv(*rows: list[str], bom: bytes = codecs.BOM_UTF8, encoding: str = "utf-8") -> io.BytesIO:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return io.BytesIO(bom + text.getvalue().encode(encoding))


async def _events(relay: OutboxRelayStore, tenant_id: UUID) -> list[DomainEvent]:
    return [r.event for r in await relay.claim(10_000, 60) if r.event.tenant_id == tenant_id]


async def test_spreadsheet_headers_fill_fields_and_each_event_names_the_import(
    adapters: Adapters, admin: Actor
) -> None:
    source = _csv(
        ["Full Name", "E-mail", "Company name", "Phone number", "Tier", "Lead source"],
        ["Ada Lovelace", "ADA@Example.com", "Engines", "+44 20 7946 0000", "High", "fair"],
        ["Grace Hopper", "grace@example.com", "Navy", "", "low", ""],
    )

    report = await ImportCustomersHandler(adapters.kernel)(admin, ImportCustomers(), source)

    assert (report.applied, report.created, report.refused) == (True, 2, 0)
    state = await everything(adapters.kernel, adapters.relay, admin.tenant_id)
    ada = next(c for c in state.customers if c.name == "Ada Lovelace")
    assert (ada.email, ada.company, ada.phone, ada.value) == (
        "ada@example.com",
        "Engines",
        "+442079460000",
        CustomerValue.HIGH,
    )
    assert dict(ada.attributes) == {"lead_source": "fair"}
    sent = await _events(adapters.relay, admin.tenant_id)
    customer_events = [e for e in sent if e.aggregate_type == "customer"]
    assert sorted(e.type for e in customer_events) == [
        "customer.created",
        "customer.created",
        "customer.created.high_value",
    ]
    assert {e.payload["import_id"] for e in customer_events} == {str(report.import_id)}
    [completed] = [e for e in sent if e.type == "import.completed"]
    assert completed.payload["created"] == 2
    assert completed.aggregate_id == report.import_id


async def test_one_refused_row_refuses_the_whole_file_and_names_its_line_and_column(
    adapters: Adapters, admin: Actor
) -> None:
    before = await everything(adapters.kernel, adapters.relay, admin.tenant_id)
    source = _csv(["name", "email"], ["Ada", "ada@example.com"], ["Bad", "not-an-email"])

    report = await ImportCustomersHandler(adapters.kernel)(admin, ImportCustomers(chunk_size=1), source)

    assert (report.applied, report.created, report.refused) == (False, 1, 1)
    [refusal] = report.refusals
    assert (refusal.line, refusal.problems[0][0]) == (3, "email")
    assert await everything(adapters.kernel, adapters.relay, admin.tenant_id) == before


async def test_skip_invalid_applies_the_valid_rows_and_hands_back_the_refused_ones(
    adapters: Adapters, admin: Actor
) -> None:
    seen: list[RowOutcome] = []
    source = _csv(["name", "email", "value"], ["Ada", "ada@example.com", "HIGH"], ["Bob", "", "gold"])

    report = await ImportCustomersHandler(adapters.kernel)(
        admin, ImportCustomers(skip_invalid=True), source, seen.append
    )

    assert (report.applied, report.created, report.refused) == (True, 1, 1)
    assert [(r.line, r.outcome, r.cells) for r in seen if r.outcome is Outcome.REFUSED] == [
        (3, Outcome.REFUSED, ("Bob", "", "gold"))
    ]
    state = await everything(adapters.kernel, adapters.relay, admin.tenant_id)
    assert [c.name for c in state.customers] == ["Ada"]


async def test_a_dry_run_reports_each_row_and_writes_nothing(adapters: Adapters, admin: Actor) -> None:
    await CreateCustomerHandler(adapters.kernel)(admin, CreateCustomer(name="Ada", email="ada@example.com"))
    before = await everything(adapters.kernel, adapters.relay, admin.tenant_id)
    seen: list[RowOutcome] = []
    rows = [["Ada L.", "ada@example.com"], ["Ada", "ada@example.com"], ["New", "new@example.com"]]
    source = _csv(["name", "email"], *rows)

    report = await ImportCustomersHandler(adapters.kernel)(
        admin, ImportCustomers(mode="upsert", dry_run=True), source, seen.append
    )

    assert [r.outcome for r in seen] == [Outcome.UPDATED, Outcome.UPDATED, Outcome.CREATED]
    assert (report.applied, report.updated, report.created) == (False, 2, 1)
    assert await everything(adapters.kernel, adapters.relay, admin.tenant_id) == before


async def test_create_refuses_a_taken_email_and_update_a_row_matching_nobody(
    adapters: Adapters, admin: Actor
) -> None:
    await CreateCustomerHandler(adapters.kernel)(admin, CreateCustomer(name="Ada", email="ada@example.com"))
    handler = ImportCustomersHandler(adapters.kernel)

    created = await handler(admin, ImportCustomers(), _csv(["name", "email"], ["Ada", "ADA@example.com"]))
    updated = await handler(
        admin, ImportCustomers(mode="update"), _csv(["name", "email"], ["Zoe", "zoe@example.com"])
    )

    assert created.refusals[0].problems == (("email", "a customer of this tenant already has this email"),)
    assert updated.refusals[0].problems[0][0] == "email"
    assert (created.applied, updated.applied) == (False, False)


async def test_upsert_changes_status_and_value_through_their_rules_and_reuses_rows_of_earlier_chunks(
    adapters: Adapters, admin: Actor
) -> None:
    await CreateCustomerHandler(adapters.kernel)(admin, CreateCustomer(name="Ada", email="ada@example.com"))
    source = _csv(
        ["name", "email", "status", "value"],
        ["Ada", "ada@example.com", "Active", "high"],
        ["Bob", "bob@example.com", "prospect", "low"],
        ["Bob", "bob@example.com", "inactive", "low"],
    )

    report = await ImportCustomersHandler(adapters.kernel)(admin, ImportCustomers(mode="upsert"), source)

    assert (report.created, report.updated, report.refused) == (1, 2, 0)
    state = await everything(adapters.kernel, adapters.relay, admin.tenant_id)
    assert sorted((c.name, c.status, c.value) for c in state.customers) == [
        ("Ada", CustomerStatus.ACTIVE, CustomerValue.HIGH),
        ("Bob", CustomerStatus.INACTIVE, CustomerValue.LOW),
    ]


async def test_an_exported_file_imported_again_changes_nothing(adapters: Adapters, admin: Actor) -> None:
    create = CreateCustomerHandler(adapters.kernel)
    await create(admin, CreateCustomer(name="Ada", email="ada@example.com", tags=("vip", "uk")))
    await create(admin, CreateCustomer(name="No mail", notes="line one\nline two", attributes={"n": 1.5}))
    state = await everything(adapters.kernel, adapters.relay, admin.tenant_id)
    await _events(adapters.relay, admin.tenant_id)
    source = _csv(list(EXPORT_COLUMNS), *(customer_row(c) for c in state.customers))

    report = await ImportCustomersHandler(adapters.kernel)(admin, ImportCustomers(mode="upsert"), source)

    assert (report.unchanged, report.created, report.updated) == (2, 0, 0)
    after = await everything(adapters.kernel, adapters.relay, admin.tenant_id)
    assert after.customers == state.customers
    assert await _events(adapters.relay, admin.tenant_id) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"name,email\nAda,ada@example.com\nBob\n", "line 3 has 1 cells where the header has 2"),
        ("name\nAda\nJosé\n".encode("latin-1"), "line 3 is not UTF-8 or UTF-16"),
    ],
)
async def test_a_ragged_or_wrongly_encoded_file_is_refused_naming_its_line(
    adapters: Adapters, admin: Actor, content: bytes, message: str
) -> None:
    before = await everything(adapters.kernel, adapters.relay, admin.tenant_id)

    with pytest.raises(ValidationError) as raised:
        await ImportCustomersHandler(adapters.kernel)(admin, ImportCustomers(), io.BytesIO(content))

    assert message in raised.value.errors[0].message
    assert await everything(adapters.kernel, adapters.relay, admin.tenant_id) == before


async def test_utf16_spreadsheet_exports_are_read(adapters: Adapters, admin: Actor) -> None:
    source = _csv(["Name", "Email address"], ["José", "jose@example.com"], bom=b"", encoding="utf-16")

    report = await ImportCustomersHandler(adapters.kernel)(admin, ImportCustomers(), source)

    state = await everything(adapters.kernel, adapters.relay, admin.tenant_id)
    assert report.created == 1
    assert [(c.name, c.email) for c in state.customers] == [("José", "jose@example.com")]


async def test_unknown_columns_refuse_the_file_when_asked(kernel: Kernel, admin: Actor) -> None:
    source = _csv(["name", "shoe size"], ["Ada", "38"])

    with pytest.raises(ValidationError) as raised:
        await ImportCustomersHandler(kernel)(admin, ImportCustomers(unknown_columns="refuse"), source)

    assert [e.field for e in raised.value.errors] == ["columns.shoe size"]


async def test_viewers_may_not_import(kernel: Kernel, admin: Actor) -> None:
    viewer = await make_user(kernel, admin, Role.VIEWER)

    with pytest.raises(PermissionDenied):
        await ImportCustomersHandler(kernel)(viewer, ImportCustomers(), _csv(["name"], ["Ada"]))


async def test_with_emails_finds_the_customers_of_this_tenant_only(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    mine, asked = await builders.emails_of_two_tenants(kernel, admin, clock.now())

    async with kernel.uow(admin.tenant_id) as uow:
        assert [c.id for c in await uow.customers.with_emails(asked)] == [mine.id]
        assert await uow.customers.with_emails([]) == []


async def test_an_agent_imports_changes_to_its_own_customers_only(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    create = CreateCustomerHandler(kernel)
    await create(agent, CreateCustomer(name="Mine", email="mine@example.com"))
    await create(admin, CreateCustomer(name="Theirs", email="theirs@example.com"))
    source = _csv(
        ["name", "email"], ["Mine, renamed", "mine@example.com"], ["Theirs, renamed", "theirs@example.com"]
    )

    report = await ImportCustomersHandler(kernel)(
        agent, ImportCustomers(mode="update", skip_invalid=True), source
    )

    assert (report.updated, report.refused) == (1, 1)
    assert report.refusals[0].problems == (("email", "matches a customer you may not change"),)


async def test_rows_match_customers_by_external_id_when_asked(adapters: Adapters, admin: Actor) -> None:
    create = CreateCustomerHandler(adapters.kernel)
    ada = await create(admin, CreateCustomer(name="Ada", email="ada@example.com", external_id="crm-1"))
    source = _csv(
        ["External ID", "name", "email"],
        ["crm-1", "Ada King", "ada@engines.example"],
        ["crm-2", "Bob", "bob@example.com"],
        ["crm-2", "Bob Again", "bob@example.com"],
    )

    report = await ImportCustomersHandler(adapters.kernel)(
        admin, ImportCustomers(mode="upsert", match="external_id"), source
    )

    assert (report.created, report.updated, report.refused) == (1, 2, 0)
    state = await everything(adapters.kernel, adapters.relay, admin.tenant_id)
    assert sorted((c.external_id, c.name, c.email) for c in state.customers) == [
        ("crm-1", "Ada King", "ada@engines.example"),
        ("crm-2", "Bob Again", "bob@example.com"),
    ]
    assert next(c for c in state.customers if c.external_id == "crm-1").id == ada.id


async def test_a_row_giving_a_key_another_customer_holds_is_refused(adapters: Adapters, admin: Actor) -> None:
    create = CreateCustomerHandler(adapters.kernel)
    await create(admin, CreateCustomer(name="Ada", email="ada@example.com", external_id="crm-1"))
    await create(admin, CreateCustomer(name="Bob", email="bob@example.com", external_id="crm-2"))
    handler = ImportCustomersHandler(adapters.kernel)
    by_email = _csv(
        ["external_id", "name", "email"],
        ["crm-2", "Ada", "ada@example.com"],
        ["crm-1", "Cy", "cy@example.com"],
    )
    by_external_id = _csv(["external_id", "name", "email"], ["crm-1", "Ada", "bob@example.com"])

    one = await handler(admin, ImportCustomers(mode="upsert", skip_invalid=True), by_email)
    other = await handler(admin, ImportCustomers(mode="upsert", match="external_id"), by_external_id)

    taken = "a customer of this tenant already has this"
    assert [r.problems for r in one.refusals] == [(("external_id", f"{taken} external id"),)] * 2
    assert [r.problems for r in other.refusals] == [(("email", f"{taken} email"),)]
    assert (one.refused, other.refused, other.applied) == (2, 1, False)


async def test_matching_by_external_id_needs_its_column(kernel: Kernel, admin: Actor) -> None:
    with pytest.raises(ValidationError) as raised:
        await ImportCustomersHandler(kernel)(
            admin, ImportCustomers(mode="update", match="external_id"), _csv(["name"], ["Ada"])
        )

    assert [e.field for e in raised.value.errors] == ["match"]


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "test_spreadsheet_headers_fill_fields_and_each_event_names_the_import",
    "test_one_refused_row_refuses_the_whole_file_and_names_its_line_and_column",
    "test_skip_invalid_applies_the_valid_rows_and_hands_back_the_refused_ones",
    "test_a_dry_run_reports_each_row_and_writes_nothing",
    "test_create_refuses_a_taken_email_and_update_a_row_matching_nobody",
    "test_upsert_changes_status_and_value_through_their_rules_and_reuses_rows_of_earlier_chunks",
    "test_an_exported_file_imported_again_changes_nothing",
    "test_a_ragged_or_wrongly_encoded_file_is_refused_naming_its_line",
    "test_utf16_spreadsheet_exports_are_read",
    "test_unknown_columns_refuse_the_file_when_asked",
    "test_viewers_may_not_import",
    "test_with_emails_finds_the_customers_of_this_tenant_only",
    "test_an_agent_imports_changes_to_its_own_customers_only",
    "test_rows_match_customers_by_external_id_when_asked",
    "test_a_row_giving_a_key_another_customer_holds_is_refused",
    "test_matching_by_external_id_needs_its_column",
]
