"""Exporting customers: every match of the list's filters, across as many pages as it takes."""

from __future__ import annotations

from lana_core.domain.customers import CustomerStatus
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor
from lana_core.usecases._base import Kernel
from lana_core.usecases.customer_batch import CreateCustomersBatch, CreateCustomersBatchHandler
from lana_core.usecases.customer_export import EXPORT_PAGE_SIZE, ExportCustomersHandler
from lana_core.usecases.customers import CreateCustomer
from lana_testing.contract.fixtures import adapters, admin, clock, kernel


async def test_an_export_yields_every_match_once_past_the_first_page(kernel: Kernel, admin: Actor) -> None:
    count = EXPORT_PAGE_SIZE * 2 + 3
    people = [
        CreateCustomer(name=f"P{n}", status=CustomerStatus.ACTIVE if n % 2 else CustomerStatus.PROSPECT)
        for n in range(count)
    ]
    await CreateCustomersBatchHandler(kernel)(admin, CreateCustomersBatch(customers=people))
    export = ExportCustomersHandler(kernel)

    everyone = [c.name async for c in await export(admin, CustomerQuery())]
    active = [c.name async for c in await export(admin, CustomerQuery(status="active"))]

    assert sorted(everyone) == sorted(p.name for p in people)
    assert sorted(active) == sorted(p.name for p in people if p.status is CustomerStatus.ACTIVE)


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "test_an_export_yields_every_match_once_past_the_first_page",
]
