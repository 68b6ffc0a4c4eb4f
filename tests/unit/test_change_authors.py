"""What a change records names who made it: an API key's id when one acts; an import's
events name the import, and an import that is not applied writes nothing."""

from __future__ import annotations

import io
from uuid import uuid4

from attrs import evolve

from lana_core.memory import InMemoryStore
from lana_core.usecases.customer_import import ImportCustomers, ImportCustomersHandler
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from tests.support import make_kernel, make_tenant


async def test_a_change_made_with_an_api_key_names_the_key_in_its_event_and_audit_entry() -> None:
    store = InMemoryStore()
    kernel = make_kernel(store=store)
    admin = await make_tenant(kernel)
    key_id = uuid4()
    with_key = evolve(admin, api_key_id=key_id)
    customer = await CreateCustomerHandler(kernel)(with_key, CreateCustomer(name="Initech"))
    events = [row.event for row in store.outbox.values() if row.event.aggregate_id == customer.id]
    assert events
    assert {event.actor_id for event in events} == {key_id}
    async with kernel.uow(admin.tenant_id) as uow:
        entries = await uow.audit.list_for_customer(customer.id, 10)
    assert entries
    assert {entry.actor_id for entry in entries} == {key_id}


async def test_an_imports_events_name_it_and_an_unapplied_import_writes_nothing() -> None:
    store = InMemoryStore()
    kernel = make_kernel(store=store)
    admin = await make_tenant(kernel)
    before = set(store.outbox)
    import_customers = ImportCustomersHandler(kernel)
    body = b"name,email\nInitech,info@initech.example\n"
    dry = await import_customers(admin, ImportCustomers(dry_run=True), io.BytesIO(body))
    assert not dry.applied
    assert dry.created == 1
    assert set(store.outbox) == before
    report = await import_customers(admin, ImportCustomers(), io.BytesIO(body))
    assert report.applied
    assert report.created == 1
    written = [store.outbox[key].event for key in set(store.outbox) - before]
    assert {event.type for event in written} >= {"customer.created", "import.completed"}
    assert {event.payload["import_id"] for event in written} == {str(report.import_id)}
