"""Persistence figures of the SQL adapter on SQLite and PostgreSQL, through the use cases.

    uv run python benchmarks/persistence.py [--rows 100000] [--samples 500] [--bulk 5000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--skip-sqlite]

For each database, in one run: create-customer and get-customer latency (p50/p99) through
the use cases; list-page latency with a text query over ``--rows`` customers (a company
name, newest first; the same by relevance, a tenth as many samples; a word shared by a
sixth of the customers); bulk creation
throughput (customers/s) one transaction per customer (sequential and 16 in flight) and in
batches of ``--batch`` through the CreateCustomersBatch use case; and, on PostgreSQL, raw
psycopg COPYs as the reference: of the customers alone, and of every row the use case
writes (customers with their outbox, audit and analytics rows). PostgreSQL runs in a
scratch database created next to the one ``--postgres`` (default ``LANA_TEST_POSTGRES_URL``)
names, dropped afterwards; SQLite in a temporary file.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Json, Jsonb
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql import SqlSettings, SqlUnitOfWorkFactory, create_engine_from, migrate
from lana_adapters.sql.records import analytics_values, audit_values, event_values
from lana_adapters.sql.rows import customer_values
from lana_core.domain import events
from lana_core.domain.customers import ContactDetails, Customer, CustomerValue
from lana_core.domain.pagination import PageRequest
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor
from lana_core.memory import InMemoryCache, ScryptHasher
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel, snapshot
from lana_core.usecases._recording import analytics_of
from lana_core.usecases.customer_batch import CreateCustomersBatch, CreateCustomersBatchHandler
from lana_core.usecases.customers import (
    CreateCustomer,
    CreateCustomerHandler,
    GetCustomerHandler,
    ListCustomersHandler,
)
from lana_core.usecases.tenants import CreateTenant, CreateTenantHandler

FIRST = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "John",
    "Radia",
    "Ken",
    "Lin",
    "Mae",
)
LAST = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Backus",
    "Perlman",
    "Thompson",
)
SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ren",
    "tos",
    "vex",
    "dra",
    "quil",
    "bor",
    "nax",
    "sel",
    "tri",
    "zan",
    "ful",
    "mor",
)
SUFFIX = ("Corporation", "Industries", "Labs", "Holdings", "Systems", "Partners")
# A word shared by a sixth of all customers: the worst case for a text search.
COMMON_TERM = "industries"
SEED_BASE = 1_000_000


def company_word(rng: random.Random) -> str:
    """One of 3,375 made-up company names: a search for one finds a few dozen customers."""
    return "".join(rng.choice(SYLLABLES) for _ in range(3)).title()


def command(n: int) -> CreateCustomer:
    rng = random.Random(n)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {n}"
    company = f"{company_word(rng)} {rng.choice(SUFFIX)}"
    return CreateCustomer(
        name=name,
        email=f"c{n}.{secrets.token_hex(3)}@example.com",
        company=company,
        value=rng.choice(list(CustomerValue)),
        tags=(rng.choice(("vip", "trial", "churn-risk")),),
        attributes={"seats": rng.randrange(1, 500), "region": rng.choice(("eu", "us", "apac"))},
    )


def percentiles(samples: Sequence[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:7.2f} ms   p99 {p99 * 1000:7.2f} ms"


async def timed(count: int, call: Callable[[int], Awaitable[object]]) -> list[float]:
    samples = []
    for n in range(count):
        start = time.perf_counter()
        await call(n)
        samples.append(time.perf_counter() - start)
    return samples


def _contact(c: CreateCustomer) -> dict[str, Any]:
    fields = ("name", "email", "phone", "company", "notes", "tags", "attributes")
    return {f: getattr(c, f) for f in fields}


async def setup(url: str) -> tuple[AsyncEngine, Kernel, Actor]:
    migrate(url)
    engine = create_engine_from(SqlSettings(url=url, pool_size=20, max_overflow=10))
    kernel = Kernel(
        uow=SqlUnitOfWorkFactory(engine), clock=SystemClock(), ids=TimeOrderedIds(), cache=InMemoryCache()
    )
    _, admin = await CreateTenantHandler(kernel, ScryptHasher(n=2, r=1, p=1))(
        CreateTenant(
            slug="bench", name="Bench", admin_email="a@bench.io", admin_name="A", admin_password="x" * 16
        )
    )
    return engine, kernel, admin


async def latencies(kernel: Kernel, admin: Actor, samples: int, offset: int) -> list[Customer]:
    create, get = CreateCustomerHandler(kernel), GetCustomerHandler(kernel)
    made: list[Customer] = []

    async def one(n: int) -> None:
        made.append(await create(admin, command(offset + n)))

    print(f"  create-customer (use case)      {percentiles(await timed(samples, one))}")
    ids = [c.id for c in made]
    got = await timed(samples, lambda n: get(admin, ids[n % len(ids)]))
    print(f"  get-customer (use case)         {percentiles(got)}")
    return made


def search_terms(rows: int, count: int = 50) -> list[str]:
    """Company names of seeded customers, lower-cased, as people type them."""
    rng = random.Random(7)
    return [command(SEED_BASE + rng.randrange(rows)).company.split()[0].lower() for _ in range(count)]  # type: ignore[union-attr]


async def list_pages(kernel: Kernel, admin: Actor, samples: int, rows: int) -> None:
    listing = ListCustomersHandler(kernel)
    page, terms = PageRequest(limit=50), search_terms(rows)
    cases = (
        ("company name, newest first", terms, "created_at", samples),
        ("company name, by relevance", terms, "relevance", max(10, samples // 10)),
        (f"'{COMMON_TERM}' (1 in 6 rows), newest", [COMMON_TERM], "created_at", max(10, samples // 10)),
    )
    for label, texts, sort, count in cases:
        await listing(admin, CustomerQuery(text=texts[0], sort=sort, page=page))  # type: ignore[arg-type]

        def one(n: int, texts: list[str] = texts, sort: str = sort) -> Awaitable[object]:
            return listing(admin, CustomerQuery(text=texts[n % len(texts)], sort=sort, page=page))  # type: ignore[arg-type]

        print(f"  list page ({rows} rows), {label:<33} {percentiles(await timed(count, one))}")


async def bulk(
    kernel: Kernel, admin: Actor, count: int, batch: int, offset: int
) -> tuple[float, list[Customer]]:
    create = CreateCustomerHandler(kernel)
    start = time.perf_counter()
    for n in range(count // 4):
        await create(admin, command(offset + n))
    print(f"  bulk, one tx each, sequential   {count // 4 / (time.perf_counter() - start):9.0f} customers/s")

    pending = iter(range(count // 4, count // 2))

    async def worker() -> None:
        for n in pending:
            await create(admin, command(offset + n))

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(16)))
    print(f"  bulk, one tx each, 16 in flight {count // 4 / (time.perf_counter() - start):9.0f} customers/s")

    batches, made = CreateCustomersBatchHandler(kernel), []
    start = time.perf_counter()
    for first in range(count // 2, count, batch):
        items = [command(offset + n) for n in range(first, min(first + batch, count))]
        made += await batches(admin, CreateCustomersBatch(customers=items))
    rate = len(made) / (time.perf_counter() - start)
    print(f"  bulk, batches of {batch:<5} (use case) {rate:9.0f} customers/s")
    return rate, made


def _companion_rows(kernel: Kernel, admin: Actor, customer: Customer) -> dict[str, dict[str, Any]]:
    """The outbox, audit and analytics rows CreateCustomerHandler writes with ``customer``."""
    event = events_for(kernel, admin, customer)
    entry = {
        **audit_values(_audit_of(event, customer)),
    }
    return {
        "outbox": event_values(event),
        "audit_log": entry,
        "analytics_events": analytics_values(analytics_of(event)),
    }


def events_for(kernel: Kernel, admin: Actor, customer: Customer) -> events.DomainEvent:
    return events.DomainEvent(
        id=kernel.ids.new_id(),
        type=events.CUSTOMER_CREATED,
        tenant_id=admin.tenant_id,
        aggregate_type="customer",
        aggregate_id=customer.id,
        aggregate_version=1,
        occurred_at=customer.created_at,
        actor_id=admin.user_id,
        payload=snapshot(customer),
    )


def _audit_of(event: events.DomainEvent, customer: Customer) -> Any:
    from lana_core.domain.audit import AuditEntry, diff

    return AuditEntry(
        id=event.id,
        tenant_id=event.tenant_id,
        actor_id=event.actor_id,
        aggregate_type="customer",
        aggregate_id=customer.id,
        customer_id=customer.id,
        action=event.type,
        changes=diff({}, snapshot(customer)),
        occurred_at=event.occurred_at,
    )


_JSON = {
    "tags": Jsonb,
    "attributes": Json,
    "payload": Json,
    "trace_context": Json,
    "changes": Json,
    "properties": Json,
}


def _copy(conn: psycopg.Connection[Any], table: str, rows: list[dict[str, Any]]) -> None:
    columns = [c for c in rows[0] if c != "seq"]
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_JSON[c](row[c]) if c in _JSON else row[c] for c in columns])


def copy_reference(
    dsn: str, kernel: Kernel, admin: Actor, count: int, *, offset: int, ratio_to: float
) -> None:
    """Raw psycopg COPY of rows like the ones the use cases write, in one transaction."""
    now = kernel.clock.now()
    made = [_customer(kernel, admin, command(offset + n), now) for n in range(count)]
    customers = [customer_values(c) for c in made]
    companions = [_companion_rows(kernel, admin, c) for c in made]
    for label, tables in (
        ("customers only", ()),
        ("customers + outbox, audit, analytics", tuple(companions[0])),
    ):
        fresh = [
            {**row, "id": kernel.ids.new_id(), "email": f"copy.{secrets.token_hex(6)}@example.com"}
            for row in customers
        ]
        with psycopg.connect(dsn) as conn:
            start = time.perf_counter()
            _copy(conn, "customers", fresh)
            for table in tables:
                _copy(conn, table, [{**c[table], "id": kernel.ids.new_id()} for c in companions])
            conn.commit()
            rate = count / (time.perf_counter() - start)
        print(f"  raw COPY, {label:<37} {rate:9.0f} customers/s  (batch use case = {ratio_to / rate:4.0%})")


def _customer(kernel: Kernel, admin: Actor, c: CreateCustomer, now: Any) -> Customer:
    details = ContactDetails.parse(**_contact(c))
    return Customer.create(
        id=kernel.ids.new_id(),
        tenant_id=admin.tenant_id,
        details=details,
        value=c.value,
        status=c.status,
        owner_id=None,
        now=now,
    )


async def seed(kernel: Kernel, admin: Actor, rows: int, dsn: str | None) -> None:
    """``rows`` customers to list and search; COPY on PostgreSQL, batched inserts on SQLite."""
    start, now = time.perf_counter(), kernel.clock.now()
    # A second apart, as customers arrive: lists sorted by time walk distinct keys.
    made = [
        _customer(kernel, admin, command(SEED_BASE + n), now - timedelta(seconds=rows - n))
        for n in range(rows)
    ]
    if dsn is not None:
        with psycopg.connect(dsn) as conn:
            _copy(conn, "customers", [customer_values(c) for c in made])
            # As autovacuum would after a load this size: search plans depend on these statistics.
            conn.execute("ANALYZE customers, customer_search")
            conn.commit()
    else:
        for first in range(0, rows, 5_000):
            async with kernel.uow(admin.tenant_id) as uow:
                await uow.customers.add_many(made[first : first + 5_000])
                await uow.commit()
    print(f"  (seeded {rows} customers in {time.perf_counter() - start:.1f} s)")


async def run(label: str, url: str, dsn: str | None, args: argparse.Namespace) -> None:
    print(f"{label}:")
    engine, kernel, admin = await setup(url)
    try:
        await latencies(kernel, admin, args.samples, 0)
        await seed(kernel, admin, args.rows, dsn)
        await list_pages(kernel, admin, args.samples, args.rows)
        rate, _ = await bulk(kernel, admin, args.bulk, args.batch, 10_000_000)
        if dsn is not None:
            copy_reference(dsn, kernel, admin, args.bulk // 2, offset=20_000_000, ratio_to=rate)
    finally:
        await engine.dispose()


def _admin(server: str, statement: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(statement.encode())


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000, help="customers to list and search")
    parser.add_argument("--samples", type=int, default=500, help="calls per latency figure")
    parser.add_argument(
        "--bulk", type=int, default=4_000, help="customers per bulk figure (split over 3 ways)"
    )
    parser.add_argument("--batch", type=int, default=500, help="customers per batch transaction")
    parser.add_argument("--postgres", default=os.environ.get("LANA_TEST_POSTGRES_URL"), help="server URL")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as directory:
            await run("SQLite", f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}", None, args)
    if args.postgres:
        server = make_url(args.postgres)
        name = f"lana_bench_{secrets.token_hex(4)}"
        admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
        _admin(admin_dsn, f'CREATE DATABASE "{name}"')
        try:
            url = server.set(database=name).render_as_string(hide_password=False)
            dsn = server.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
            await run("PostgreSQL", url, dsn, args)
        finally:
            _admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        print("PostgreSQL: skipped (pass --postgres or set LANA_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    asyncio.run(main())
