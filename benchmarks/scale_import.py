"""Import of a large customers CSV through the import use case, beside raw loads of the same rows.

    uv run --no-sync python -m benchmarks.scale_import [--rows 1000000] [--sqlite-rows N]
        [--database both|sqlite|postgres] [--chunk 1000] [--skip-variants]

Writes ``$LANA_BENCH_DATA/customers-<rows>.csv`` once (default ./bench-data; see
:mod:`benchmarks.scale_data` for the rows) and imports it with ``ImportCustomersHandler``
into an empty tenant, as ``lana import customers`` does (phone numbers checked as
E.164): customers/s, and the peak resident memory of the process during the import
(sampled every 0.2 s).

Then, on PostgreSQL (a scratch database ``lana_bench_import``, made afresh each run), the
rows the import wrote are copied out and loaded again, each time into emptied tables, by
plain ``COPY``: the customers alone; the customers with their outbox, audit and
analytics rows (the import's reference: the same rows into Lana's own tables, with their
indexes and triggers); and, to say what the indexes cost, the customers into a plain table
(no index, no trigger), into a plain table computing the search vector, into customers
with the search copy's trigger off, and into customers without the two search indexes,
built after the load (deferred maintenance), then whether deferring that maintenance
pays. On SQLite (``import-<rows>.db``, made afresh) the same rows go through plain
``sqlite3`` ``executemany`` into the same tables.
Every line shows the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
from alembic import command

from benchmarks import scale_data
from lana_adapters.sql import alembic_config
from lana_adapters.sql.tables import analytics_events, audit_log, customers, outbox
from lana_adapters.sql.writes import writable
from lana_core.domain.tenancy import Actor
from lana_core.usecases._base import Kernel
from lana_core.usecases.customer_import import ImportCustomers, ImportCustomersHandler, ImportReport

RSS_TARGET_MIB = 300
TABLES = (customers, outbox, audit_log, analytics_events)
COMPANIONS = tuple(table.name for table in TABLES[1:])
SEARCH_INDEXES = {
    "ix_customer_search_trgm": "CREATE INDEX ix_customer_search_trgm ON customer_search"
    " USING gin (search_text gin_trgm_ops)",
    "ix_customer_search_vector": "CREATE INDEX ix_customer_search_vector ON customer_search"
    " USING gin (search_vector)",
}


def columns(name: str) -> list[str]:
    return writable(next(table for table in TABLES if table.name == name))


async def import_file(
    kernel: Kernel, admin: Actor, path: Path, chunk: int, plain_url: str | None = None
) -> tuple[ImportReport, float]:
    """Import ``path``; prints customers/s, CPU per customer (here and, on PostgreSQL, in
    the server) and peak RSS; returns the report and the rate."""
    handler = ImportCustomersHandler(kernel)
    server = scale_data.server_cpu_seconds(plain_url) if plain_url else {}
    with path.open("rb") as source, scale_data.PeakRss() as memory:
        start, cpu = time.perf_counter(), time.process_time()
        report = await handler(admin, ImportCustomers(chunk_size=chunk), source)
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
    rate = report.created / took
    in_server = scale_data.server_cpu_since(plain_url, server) if plain_url else 0.0
    verdict = "ok" if memory.peak < RSS_TARGET_MIB else "OVER"
    print(
        f"  import use case: {report.created} created, {report.refused} refused in {took:.0f} s:"
        f" {rate:8.0f} customers/s, CPU {cpu / report.created * 1e6:.0f} µs here"
        f" + {in_server / report.created * 1e6:.0f} µs in the server each;"
        f" peak RSS {memory.peak:.0f} MiB (target < {RSS_TARGET_MIB}: {verdict})"
        f"  [{scale_data.load()}]",
        flush=True,
    )
    assert report.applied, "the benchmark file imports cleanly"
    return report, rate


# -- PostgreSQL ----------------------------------------------------------------------------


def dump(plain_url: str, directory: Path) -> dict[str, Path]:
    """The rows of the four tables, in COPY's text format, one file each."""
    files = {}
    with psycopg.connect(plain_url) as conn:
        for table in TABLES:
            path = files[table.name] = directory / f"{table.name}.copy"
            names = ", ".join(columns(table.name))
            with path.open("wb") as out, conn.cursor().copy(f"COPY {table.name} ({names}) TO STDOUT") as copy:
                for block in copy:
                    out.write(block)
    return files


def copy_in(conn: psycopg.Connection[object], table: str, path: Path, into: str | None = None) -> None:
    names = ", ".join(columns(table))
    with path.open("rb") as source, conn.cursor().copy(f"COPY {into or table} ({names}) FROM STDIN") as copy:
        while block := source.read(1 << 20):
            copy.write(block)


def empty(conn: psycopg.Connection[object]) -> None:
    conn.execute("TRUNCATE customers, customer_search, outbox, audit_log, analytics_events CASCADE")
    conn.execute("DROP TABLE IF EXISTS plain_customers")
    conn.commit()
    conn.execute("CHECKPOINT")


def timed_load(
    plain_url: str, label: str, rows: int, load: Callable[[psycopg.Connection[object]], None], ratio_to: float
) -> float:
    """Run ``load`` in one transaction on emptied tables; print and return its customers/s."""
    with psycopg.connect(plain_url) as conn:
        empty(conn)
        server = scale_data.server_cpu_seconds(plain_url)
        start = time.perf_counter()
        load(conn)
        conn.commit()
        rate = rows / (time.perf_counter() - start)
        in_server = scale_data.server_cpu_since(plain_url, server) / rows * 1e6
    share = f"import = {ratio_to / rate:4.0%} of it" if ratio_to else ""
    print(
        f"  {label:<58} {rate:9.0f} customers/s, {in_server:4.0f} µs server CPU each  {share}"
        f"  [{scale_data.load()}]",
        flush=True,
    )
    return rate


def postgres_references(plain_url: str, rows: int, import_rate: float, variants: bool) -> None:
    directory = scale_data.DATA_DIR / "import-copy"
    directory.mkdir(parents=True, exist_ok=True)
    files = dump(plain_url, directory)
    customers_file = files["customers"]

    def everything(conn: psycopg.Connection[object]) -> None:
        for name, path in files.items():
            copy_in(conn, name, path)

    timed_load(
        plain_url, "COPY customers + outbox, audit, analytics (reference)", rows, everything, import_rate
    )
    maintained = timed_load(
        plain_url,
        "COPY customers alone",
        rows,
        lambda conn: copy_in(conn, "customers", customers_file),
        import_rate,
    )
    if not variants:
        return

    def plain(including: str) -> Callable[[psycopg.Connection[object]], None]:
        def load(conn: psycopg.Connection[object]) -> None:
            conn.execute(f"CREATE TABLE plain_customers (LIKE customers {including})".encode())
            copy_in(conn, "customers", customers_file, into="plain_customers")

        return load

    timed_load(plain_url, "COPY into a plain table (no index, trigger or tsvector)", rows, plain(""), 0)
    timed_load(
        plain_url, "COPY into a plain table computing search_vector", rows, plain("INCLUDING GENERATED"), 0
    )

    def without_search_copy(conn: psycopg.Connection[object]) -> None:
        conn.execute("ALTER TABLE customers DISABLE TRIGGER customers_search_insert")
        copy_in(conn, "customers", customers_file)

    with_rollback(plain_url, "COPY customers, no search copy (trigger off)", rows, without_search_copy)

    def deferred(build: bool) -> Callable[[psycopg.Connection[object]], None]:
        def load(conn: psycopg.Connection[object]) -> None:
            for name in SEARCH_INDEXES:
                conn.execute(f"DROP INDEX {name}".encode())
            copy_in(conn, "customers", customers_file)
            for statement in SEARCH_INDEXES.values() if build else ():
                conn.execute(statement.encode())

        return load

    without = with_rollback(
        plain_url, "COPY customers, search GIN indexes dropped", rows, deferred(build=False)
    )
    built_after = with_rollback(
        plain_url, "COPY customers, search GIN indexes built after", rows, deferred(build=True)
    )
    verdict = "pays" if built_after > maintained else "does not pay"
    print(
        f"  search GIN indexes: maintained {maintained:.0f}/s, dropped {without:.0f}/s, built after"
        f" {built_after:.0f}/s: deferring their maintenance {verdict}",
        flush=True,
    )

    def big_pending_list(conn: psycopg.Connection[object]) -> None:
        conn.execute("SET LOCAL gin_pending_list_limit = '256MB'")
        copy_in(conn, "customers", customers_file)

    timed_load(plain_url, "COPY customers, GIN pending list 256 MB (vs 4 MB)", rows, big_pending_list, 0)


def with_rollback(
    plain_url: str, label: str, rows: int, load: Callable[[psycopg.Connection[object]], None]
) -> float:
    """:func:`timed_load` for a load changing the schema: its transaction is rolled back."""
    with psycopg.connect(plain_url) as conn:
        empty(conn)
        server = scale_data.server_cpu_seconds(plain_url)
        start = time.perf_counter()
        load(conn)
        rate = rows / (time.perf_counter() - start)
        in_server = scale_data.server_cpu_since(plain_url, server) / rows * 1e6
        conn.rollback()
    print(
        f"  {label:<58} {rate:9.0f} customers/s, {in_server:4.0f} µs server CPU each  [{scale_data.load()}]",
        flush=True,
    )
    return rate


async def postgres(server: str, args: argparse.Namespace, csv_path: Path) -> None:
    print(f"PostgreSQL, {args.rows} customers:", flush=True)
    url, plain_url = scale_data.postgres_database(server, "lana_bench_import", fresh=True)
    engine, kernel = scale_data.open_kernel(url)
    if args.downgrade_to:
        command.downgrade(alembic_config(url), args.downgrade_to)
    try:
        admin, _ = await scale_data.tenant(engine, kernel, "import")
        _, rate = await import_file(kernel, admin, csv_path, args.chunk, plain_url)
    finally:
        await engine.dispose()
    postgres_references(plain_url, args.rows, rate, not args.skip_variants)
    scale_data.drop_postgres_database(server, "lana_bench_import")


# -- SQLite --------------------------------------------------------------------------------


def sqlite_reference(path: Path, rows: int, import_rate: float) -> None:
    """Plain ``executemany`` of the imported rows into the same tables of an emptied copy."""
    reference = path.with_name(path.stem + "-reference.db")
    shutil.copyfile(path, reference)
    with sqlite3.connect(reference, isolation_level=None) as conn:
        for table in TABLES:
            conn.execute(f"DELETE FROM {table.name}")
        conn.execute("VACUUM")
        conn.execute("ATTACH DATABASE ? AS source", (str(path),))
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for table in TABLES:
            # Every stored column: SQLite gets the outbox's sequence number from the writer.
            names = [column.name for column in table.columns if column.computed is None]
            insert = (
                f"INSERT INTO main.{table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            )
            for batch in _batches(conn, f"SELECT {', '.join(names)} FROM source.{table.name}"):
                conn.executemany(insert, batch)
        conn.execute("COMMIT")
        rate = rows / (time.perf_counter() - start)
    _remove(reference)
    print(
        f"  executemany customers + outbox, audit, analytics{'':<9} {rate:9.0f} customers/s"
        f"  import = {import_rate / rate:4.0%} of it  [{scale_data.load()}]",
        flush=True,
    )


def _batches(conn: sqlite3.Connection, select: str) -> Iterator[list[tuple[object, ...]]]:
    reader = conn.cursor()
    reader.execute(select)
    while batch := reader.fetchmany(5_000):
        yield batch


async def sqlite(args: argparse.Namespace, csv_path: Path, rows: int) -> None:
    print(f"SQLite, {rows} customers:", flush=True)
    path = scale_data.DATA_DIR / f"import-{rows}.db"
    _remove(path)
    engine, kernel = scale_data.open_kernel(f"sqlite+aiosqlite:///{path}")
    try:
        admin, _ = await scale_data.tenant(engine, kernel, "import")
        _, rate = await import_file(kernel, admin, csv_path, args.chunk)
    finally:
        await engine.dispose()
    sqlite_reference(path, rows, rate)
    _remove(path)


def _remove(database: Path) -> None:
    """A SQLite file with its journal, shared memory and writer-lock files."""
    for leftover in database.parent.glob(database.name + "*"):
        leftover.unlink()


async def main(args: argparse.Namespace) -> None:
    server = os.environ.get("LANA_BENCH_POSTGRES_URL") or os.environ.get("LANA_TEST_POSTGRES_URL")
    if args.database in ("both", "postgres"):
        if server is None:
            print("PostgreSQL: skipped (set LANA_BENCH_POSTGRES_URL or LANA_TEST_POSTGRES_URL)")
        else:
            csv_path = scale_data.write_csv(scale_data.DATA_DIR / f"customers-{args.rows}.csv", args.rows)
            await postgres(server, args, csv_path)
    if args.database in ("both", "sqlite"):
        rows = args.sqlite_rows or args.rows
        csv_path = scale_data.write_csv(scale_data.DATA_DIR / f"customers-{rows}.csv", rows)
        await sqlite(args, csv_path, rows)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the CSV file")
    parser.add_argument("--sqlite-rows", type=int, default=0, help="rows for SQLite (default: --rows)")
    parser.add_argument("--database", choices=("both", "sqlite", "postgres"), default="both")
    parser.add_argument("--chunk", type=int, default=1_000, help="rows the import handles at once")
    parser.add_argument(
        "--downgrade-to", default="", help="PostgreSQL schema revision to measure, to compare a change"
    )
    parser.add_argument("--skip-variants", action="store_true", help="only the import and its references")
    asyncio.run(main(parser.parse_args()))
