"""Reads through the use cases with a million customers in one tenant (and ten small ones).

    uv run --no-sync python -m benchmarks.scale_reads [--rows 1000000] [--samples 200]
        [--database both|sqlite|postgres] [--duplicate-pages 0]

For each database, the p50 and p99 wall time of: a list page of 50 (newest first, and
pages further on by cursor), filtered lists, text searches (a name prefix, a company
word, and a misspelt company word sorted by relevance, the typo-tolerant search), the
customer page (the customer with its project and task figures), the dashboard warm (its
figures cached) and cold (cache dropped before each call), and the duplicate scan of
the whole tenant through ``FindDuplicateCustomersHandler``, every page of 200 pairs (or
the first ``--duplicate-pages`` when given), with this process's CPU seconds for it. Each
line also shows the load average.

The tenant ``scale-<rows>`` is seeded on first use and kept: in the PostgreSQL database
``lana_bench`` on the server ``LANA_BENCH_POSTGRES_URL`` or ``LANA_TEST_POSTGRES_URL``
names, and in ``$LANA_BENCH_DATA/scale.db`` (default ./bench-data). Seeding a million
customers takes a few minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable

from benchmarks import scale_data
from benchmarks.scale_data import fields
from lana_core.domain.pagination import PageRequest
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor
from lana_core.usecases._base import Kernel
from lana_core.usecases.caching import DASHBOARD
from lana_core.usecases.customer_merge import FindDuplicateCustomersHandler
from lana_core.usecases.customers import GetCustomerHandler, ListCustomersHandler
from lana_core.usecases.dashboard import GetDashboardHandler

SMALL_TENANTS = 10
SMALL_TENANT_ROWS = 1_000
DUPLICATE_PAGE = 200
TARGETS_MS = {"list": 50.0, "customer": 20.0, "dashboard warm": 20.0, "dashboard cold": 1_000.0}
Call = Callable[[int], Awaitable[object]]


async def timed(samples: int, call: Call) -> tuple[list[float], float]:
    """Milliseconds of each of ``samples`` calls, after three to warm up, and the CPU
    milliseconds this process spent per call (the rest of the wall time is the database's
    work and waiting for a core)."""
    for n in range(3):
        await call(n)
    times = []
    cpu = time.process_time()
    for n in range(samples):
        start = time.perf_counter()
        await call(n)
        times.append((time.perf_counter() - start) * 1000)
    return times, (time.process_time() - cpu) / samples * 1000


def report(label: str, measured: tuple[list[float], float], target: float) -> None:
    times, cpu_ms = measured
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]
    verdict = "ok" if p99 <= target else "OVER"
    print(
        f"  {label:<44} p50 {statistics.median(ordered):7.1f} ms  p99 {p99:7.1f} ms  CPU {cpu_ms:6.1f} ms"
        f"  (target {target:.0f} ms: {verdict})  [{scale_data.load()}]",
        flush=True,
    )


def misspelt(word: str, rng: random.Random) -> str:
    """``word`` with two neighbouring letters swapped, as a hurried typist types it."""
    at = rng.randrange(1, len(word) - 2)
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def query_cases(rows: int) -> dict[str, Callable[[int], CustomerQuery]]:
    """The list queries measured, each making a different query per call where it can."""
    rng = random.Random(11)
    picked = [fields(rng.randrange(rows)) for _ in range(64)]
    companies = [f[3].split()[0].lower() for f in picked]
    name_prefixes = [f[0].split()[0][:3].lower() + f[0].split()[1][:2].lower() for f in picked]
    typos = [misspelt(word, rng) for word in companies]

    def page(**kw: object) -> Callable[[int], CustomerQuery]:
        return lambda n: CustomerQuery(**kw)  # type: ignore[arg-type]

    return {
        "list, first page, newest first": page(),
        "list, first page, by name": page(sort="name", order="asc"),
        "filtered: status active, value high": page(status="active", value="high"),
        "filtered: tag vip, by name": page(tag="vip", sort="name", order="asc"),
        "search: a company word": lambda n: CustomerQuery(text=companies[n % 64]),
        "search: a name prefix ('adalo')": lambda n: CustomerQuery(text=name_prefixes[n % 64]),
        "search: misspelt company, by relevance": lambda n: CustomerQuery(
            text=typos[n % 64], sort="relevance"
        ),
        "search: company word, by relevance": lambda n: CustomerQuery(
            text=companies[n % 64], sort="relevance"
        ),
    }


async def lists(kernel: Kernel, admin: Actor, rows: int, samples: int) -> None:
    listing = ListCustomersHandler(kernel)
    for label, make in query_cases(rows).items():

        async def one(n: int, make: Callable[[int], CustomerQuery] = make) -> object:
            return await listing(admin, make(n))

        report(label, await timed(samples, one), TARGETS_MS["list"])
    cursors = await _cursors(kernel, admin, samples)

    async def further(n: int) -> object:
        return await listing(admin, CustomerQuery(page=PageRequest.of(50, cursors[n % len(cursors)])))

    report("list, a page further on (by cursor)", await timed(samples, further), TARGETS_MS["list"])


async def _cursors(kernel: Kernel, admin: Actor, count: int) -> list[str]:
    """Cursors of pages 2 to ``count + 1`` of the newest-first list, walked as a user pages."""
    listing, cursors, cursor = ListCustomersHandler(kernel), [], None
    for _ in range(count):
        page = await listing(admin, CustomerQuery(page=PageRequest.of(50, cursor)))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        cursors.append(cursor)
    return cursors


async def customer_pages(kernel: Kernel, admin: Actor, samples: int) -> None:
    get = GetCustomerHandler(kernel)
    listing = ListCustomersHandler(kernel)
    ids = [c.id for c in (await listing(admin, CustomerQuery(page=PageRequest.of(200)))).items]
    report(
        "customer page", await timed(samples, lambda n: get(admin, ids[n % len(ids)])), TARGETS_MS["customer"]
    )


async def dashboards(kernel: Kernel, admin: Actor, samples: int) -> None:
    dashboard = GetDashboardHandler(kernel)
    report("dashboard, warm", await timed(samples, lambda n: dashboard(admin)), TARGETS_MS["dashboard warm"])

    async def cold(n: int) -> object:
        await kernel.cache.invalidate(admin.tenant_id, (DASHBOARD,))
        return await dashboard(admin)

    report(
        "dashboard, cold (cache dropped)",
        await timed(max(10, samples // 10), cold),
        TARGETS_MS["dashboard cold"],
    )


async def duplicate_scan(kernel: Kernel, admin: Actor, max_pages: int) -> None:
    find = FindDuplicateCustomersHandler(kernel)
    start, cursor, pages, pairs, first = time.perf_counter(), None, 0, 0, 0.0
    cpu = time.process_time()
    while True:
        page = await find(admin, PageRequest.of(DUPLICATE_PAGE, cursor))
        pages, pairs = pages + 1, pairs + len(page.items)
        if pages == 1:
            first = time.perf_counter() - start
        cursor = page.next_cursor
        if cursor is None or pages == max_pages:
            break
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    walked = "every page" if cursor is None else f"first {pages} pages"
    print(
        f"  duplicate scan, {walked}: {pairs} pairs in {pages} pages of {DUPLICATE_PAGE}, {took:.1f} s"
        f" (first page {first:.1f} s; CPU here {cpu:.1f} s; target whole tenant 60 s)  [{scale_data.load()}]",
        flush=True,
    )


async def run(label: str, url: str, plain_url: str | None, args: argparse.Namespace) -> None:
    print(f"{label}, {args.rows} customers in one tenant, {SMALL_TENANTS} tenants of {SMALL_TENANT_ROWS}:")
    engine, kernel = scale_data.open_kernel(url, args.statement_timeout_ms)
    try:
        admin, seeded = await scale_data.seeded_tenant(
            engine, kernel, f"scale-{args.rows}", args.rows, plain_url
        )
        for i in range(SMALL_TENANTS):
            slug = f"scale-{args.rows}-small-{i}"
            await scale_data.seeded_tenant(engine, kernel, slug, SMALL_TENANT_ROWS, plain_url)
        if seeded or args.analyze:
            scale_data.vacuum_analyze(plain_url, url)
        await lists(kernel, admin, args.rows, args.samples)
        await customer_pages(kernel, admin, args.samples)
        await dashboards(kernel, admin, args.samples)
        if args.duplicate_pages >= 0:
            await duplicate_scan(kernel, admin, args.duplicate_pages)
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    if args.database in ("both", "sqlite"):
        scale_data.DATA_DIR.mkdir(parents=True, exist_ok=True)
        await run("SQLite", f"sqlite+aiosqlite:///{scale_data.DATA_DIR / 'scale.db'}", None, args)
    server = os.environ.get("LANA_BENCH_POSTGRES_URL") or os.environ.get("LANA_TEST_POSTGRES_URL")
    if args.database == "sqlite":
        return
    if server is None:
        print("PostgreSQL: skipped (set LANA_BENCH_POSTGRES_URL or LANA_TEST_POSTGRES_URL)")
        return
    url, plain = scale_data.postgres_database(server, args.postgres_database, fresh=False)
    await run("PostgreSQL", url, plain, args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="customers in the large tenant")
    parser.add_argument("--samples", type=int, default=200, help="calls per figure")
    parser.add_argument("--database", choices=("both", "sqlite", "postgres"), default="both")
    parser.add_argument("--postgres-database", default="lana_bench", help="kept between runs")
    parser.add_argument(
        "--duplicate-pages", type=int, default=0, help="pages of the duplicate scan (0: all; -1: skip it)"
    )
    parser.add_argument(
        "--statement-timeout-ms", type=int, default=5_000, help="LANA_DATABASE_STATEMENT_TIMEOUT_MS"
    )
    parser.add_argument("--analyze", action="store_true", help="VACUUM ANALYZE (ANALYZE on SQLite) first")
    asyncio.run(main(parser.parse_args()))
