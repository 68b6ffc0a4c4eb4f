"""The customers of the scale benchmarks (``scale_import``, ``scale_reads``): one row per
number, the same every run, with the duplicates a real spreadsheet holds.

Names and companies come from :mod:`benchmarks.persistence`'s vocabulary (3,375 made-up
company words, so a company search finds a few dozen customers). About one row in 97
repeats the customer before it (same name, same company, the email with a ``+crm`` tag),
and one in 195 shares the phone of the row three before it (one row in three has a
phone): the pairs duplicate detection is there to find. The PostgreSQL database and the
SQLite file holding the read benchmark's million customers are kept between runs (see
:func:`seeded_tenant`).
"""

from __future__ import annotations

import csv
import os
import random
import resource
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.persistence import FIRST, LAST, SUFFIX, _copy, company_word
from lana_adapters.phones import E164Phones
from lana_adapters.sql import SqlSettings, SqlUnitOfWorkFactory, create_engine_from, migrate
from lana_adapters.sql.rows import customer_values
from lana_core.domain.customers import ContactDetails, Customer, CustomerStatus, CustomerValue
from lana_core.domain.tenancy import Actor, Role
from lana_core.memory import InMemoryCache, ScryptHasher
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_core.usecases.tenants import CreateTenant, CreateTenantHandler

DATA_DIR = Path(os.environ.get("LANA_BENCH_DATA", "bench-data"))
CSV_HEADER = ("Name", "E-mail", "Phone", "Company name", "Value", "Status", "Tags", "Region", "Seats")
ADMIN_EMAIL = "admin@scale.example.com"
# Customers arrive this far apart: a million span about three years, and the dashboard's
# 30 days hold about 29,000 of them.
ARRIVAL_SECONDS = 90
SEED_CHUNK = 20_000
_DUPLICATE_EVERY = 97
_SHARED_PHONE_EVERY = 195
_STATUSES = tuple(CustomerStatus)
_VALUES = tuple(CustomerValue)


def fields(n: int) -> tuple[str, ...]:
    """Row ``n`` as a spreadsheet holds it, in :data:`CSV_HEADER` order."""
    original = n - 1 if n % _DUPLICATE_EVERY == 0 and n > 0 else n
    rng = random.Random(original)
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {original}"
    company = f"{company_word(rng)} {rng.choice(SUFFIX)}"
    email = f"c{original}@example.com" if original == n else f"c{original}+crm@example.com"
    if original != n:
        name = name.upper()
    phone_of = n - 3 if n % _SHARED_PHONE_EVERY == 0 and n > 0 else n
    phone = (
        f"+1 212 {200 + phone_of // 10_000 % 800:03d} {phone_of % 10_000:04d}" if phone_of % 3 == 0 else ""
    )
    return (
        name,
        email,
        phone,
        company,
        rng.choice(_VALUES).value,
        rng.choice(_STATUSES).value,
        rng.choice(("vip", "trial", "churn-risk")),
        rng.choice(("eu", "us", "apac")),
        str(rng.randrange(1, 500)),
    )


def write_csv(path: Path, rows: int) -> Path:
    """A CSV file of rows 0 to ``rows - 1``, written once and kept (it is the same every time)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_HEADER)
        writer.writerows(fields(n) for n in range(rows))
    partial.rename(path)
    return path


def customer(tenant_id: UUID, ids: TimeOrderedIds, n: int, created_at: datetime) -> Customer:
    name, email, phone, company, value, status, tag, region, seats = fields(n)
    details = ContactDetails.parse(
        name=name,
        email=email,
        phone=phone or None,
        company=company,
        notes=None,
        tags=(tag,),
        attributes={"region": region, "seats": int(seats)},
    )
    return Customer.create(
        id=ids.new_id(),
        tenant_id=tenant_id,
        details=details,
        value=CustomerValue(value),
        status=CustomerStatus(status),
        owner_id=None,
        now=created_at,
    )


def customers(tenant_id: UUID, rows: int, now: datetime) -> Iterator[list[Customer]]:
    """Rows 0 to ``rows - 1`` as customers, in chunks, oldest first."""
    ids = TimeOrderedIds()
    for first in range(0, rows, SEED_CHUNK):
        yield [
            customer(tenant_id, ids, n, now - timedelta(seconds=ARRIVAL_SECONDS * (rows - n)))
            for n in range(first, min(first + SEED_CHUNK, rows))
        ]


# -- databases -----------------------------------------------------------------------------


def postgres_database(server_url: str, name: str, *, fresh: bool) -> tuple[str, str]:
    """(Lana's URL, the plain driver's URL) of database ``name`` on the server, created if
    missing (dropped first when ``fresh``)."""
    server = make_url(server_url)
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"'.encode())
    lana = server.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    plain = server.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    return lana, plain


def drop_postgres_database(server_url: str, name: str) -> None:
    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def open_kernel(url: str, statement_timeout_ms: int = 5_000) -> tuple[AsyncEngine, Kernel]:
    """An engine and kernel on ``url``, migrated; the timeout is the deployment default's, and
    phone numbers are checked and written as E.164, as the deployed container does."""
    migrate(url)
    settings = SqlSettings(url=url, pool_size=4, max_overflow=0, statement_timeout_ms=statement_timeout_ms)
    engine = create_engine_from(settings)
    kernel = Kernel(
        uow=SqlUnitOfWorkFactory(engine),
        clock=SystemClock(),
        ids=TimeOrderedIds(),
        cache=InMemoryCache(),
        phones=E164Phones(),
    )
    return engine, kernel


async def tenant(engine: AsyncEngine, kernel: Kernel, slug: str) -> tuple[Actor, bool]:
    """The admin of tenant ``slug``, and whether the tenant was made just now."""
    async with engine.connect() as conn:
        found = (
            await conn.execute(
                text(
                    "SELECT u.tenant_id, u.id FROM users u JOIN tenants t ON t.id = u.tenant_id"
                    " WHERE t.slug = :slug AND u.email = :email"
                ),
                {"slug": slug, "email": ADMIN_EMAIL},
            )
        ).first()
        await conn.rollback()
    if found is not None:
        return Actor(tenant_id=found[0], user_id=found[1], role=Role.ADMIN), False
    _, admin = await CreateTenantHandler(kernel, ScryptHasher(n=2, r=1, p=1))(
        CreateTenant(
            slug=slug, name=slug, admin_email=ADMIN_EMAIL, admin_name="Admin", admin_password="x" * 16
        )
    )
    return admin, True


async def seeded_tenant(
    engine: AsyncEngine, kernel: Kernel, slug: str, rows: int, plain_url: str | None
) -> tuple[Actor, bool]:
    """The admin of tenant ``slug`` holding ``rows`` customers, seeded on first use (COPY on
    PostgreSQL, batched inserts on SQLite) and reused afterwards; and whether it was seeded now."""
    admin, made = await tenant(engine, kernel, slug)
    if not made:
        return admin, False
    start = time.perf_counter()
    for chunk in customers(admin.tenant_id, rows, kernel.clock.now()):
        if plain_url is not None:
            with psycopg.connect(plain_url) as conn:
                _copy(conn, "customers", [customer_values(one) for one in chunk])
                conn.commit()
        else:
            async with kernel.uow(admin.tenant_id) as uow:
                await uow.customers.add_many(chunk)
                await uow.commit()
    print(f"  (seeded {rows} customers into {slug} in {time.perf_counter() - start:.0f} s)", flush=True)
    return admin, True


def vacuum_analyze(plain_url: str | None, url: str) -> None:
    """As autovacuum would after a bulk load: fresh statistics and visibility map."""
    if plain_url is not None:
        with psycopg.connect(plain_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        return
    import sqlite3

    with sqlite3.connect(str(make_url(url).database)) as conn:
        conn.execute("ANALYZE")


# -- the machine ---------------------------------------------------------------------------


def load() -> str:
    """The load averages over 1, 5 and 15 minutes, printed beside each figure."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f}"


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakRss:
    """The highest resident memory of this process while the block runs, sampled every 0.2 s
    (``ru_maxrss`` would report the peak of the whole process, set-up included)."""

    def __init__(self) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakRss:
        self.peak = rss_mib()
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mib())

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, rss_mib())


def server_cpu_seconds(plain_url: str) -> dict[int, float]:
    """The CPU seconds each PostgreSQL backend of the database has used so far, by process id
    (read from /proc: the benchmarks run beside their server)."""
    tick = os.sysconf("SC_CLK_TCK")
    with psycopg.connect(plain_url, autocommit=True) as conn:
        pids = [
            row[0]
            for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ]
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    return used


def server_cpu_since(plain_url: str, before: dict[int, float]) -> float:
    """CPU seconds the database's backends used since ``before`` (new backends: all of theirs)."""
    now = server_cpu_seconds(plain_url)
    return sum(spent - before.get(pid, 0.0) for pid, spent in now.items())
