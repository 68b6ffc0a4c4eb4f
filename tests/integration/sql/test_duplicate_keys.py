"""The duplicate scan's read of a large tenant, in batches along the primary key."""

from __future__ import annotations

import pytest

from lana_adapters.sql import customer_merge
from lana_core.domain.tenancy import Actor
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import ArchiveCustomerHandler, CreateCustomer, CreateCustomerHandler
from tests.support import make_tenant


async def test_every_live_customer_is_read_once_across_batches(
    kernel: Kernel, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customer_merge, "MATCH_KEY_BATCH", 3)
    create = CreateCustomerHandler(kernel)
    made = [await create(admin, CreateCustomer(name=f"Person {n}")) for n in range(7)]
    await ArchiveCustomerHandler(kernel)(admin, made[4].id, 1)
    other = await make_tenant(kernel, "other")
    await create(other, CreateCustomer(name="Elsewhere"))

    async with kernel.uow(admin.tenant_id) as uow:
        keys = await uow.customers.match_keys()

    assert sorted(key.id for key in keys) == sorted(c.id for c in made if c.id != made[4].id)
