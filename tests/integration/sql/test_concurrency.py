"""Racing writers on a real database: optimistic versions and unique emails let exactly one through."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql.tables import audit_log, customers, outbox
from lana_core.domain.tenancy import Actor
from lana_core.errors import Conflict
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import (
    CreateCustomer,
    CreateCustomerHandler,
    GetCustomerHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)

WRITERS = 50


async def _count(engine: AsyncEngine, statement: object) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(statement)).scalar_one())  # type: ignore[call-overload]


async def test_fifty_concurrent_updates_from_one_version_let_exactly_one_through(
    engine: AsyncEngine, kernel: Kernel, admin: Actor
) -> None:
    grace = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Grace", email="grace@navy.mil"))
    update = UpdateCustomerHandler(kernel)

    async def rename(writer: int) -> bool:
        try:
            await update(
                admin, UpdateCustomer(customer_id=grace.id, expected_version=1, name=f"Writer {writer}")
            )
        except Conflict:
            return False
        return True

    outcomes = await asyncio.gather(*(rename(writer) for writer in range(WRITERS)))

    assert sum(outcomes) == 1
    stored = (await GetCustomerHandler(kernel)(admin, grace.id)).customer
    assert (stored.version, stored.name) == (2, f"Writer {outcomes.index(True)}")
    updated = outbox.c.type == "customer.updated"
    assert await _count(engine, select(func.count()).where(updated)) == 1
    assert await _count(engine, select(func.count()).where(audit_log.c.action == "customer.updated")) == 1


async def test_fifty_concurrent_creates_with_one_email_store_exactly_one_customer(
    engine: AsyncEngine, kernel: Kernel, admin: Actor
) -> None:
    create = CreateCustomerHandler(kernel)

    async def add(writer: int) -> bool:
        try:
            await create(admin, CreateCustomer(name=f"Twin {writer}", email="Same@Example.com"))
        except Conflict:
            return False
        return True

    outcomes = await asyncio.gather(*(add(writer) for writer in range(WRITERS)))

    assert sum(outcomes) == 1
    assert await _count(engine, select(func.count()).where(customers.c.email == "same@example.com")) == 1
    assert await _count(engine, select(func.count()).where(outbox.c.type == "customer.created")) == 1


async def test_each_read_of_a_unit_sees_what_was_committed_before_it(kernel: Kernel, admin: Actor) -> None:
    # As under PostgreSQL's READ COMMITTED, on both databases: a unit that has only read
    # holds no snapshot from its first read.
    async with kernel.uow(admin.tenant_id) as reader:
        before = await reader.customers.counts()
        await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Grace"))
        after = await reader.customers.counts()

    assert after.total == before.total + 1
