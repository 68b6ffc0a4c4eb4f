"""Dashboard latency (cold and warm) and batch-ingestion throughput on PostgreSQL + Redis.

    LANA_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
    LANA_TEST_REDIS_URL=redis://127.0.0.1:6379/0 \\
    uv run --no-sync python -m benchmarks.dashboard [--customers 100000] [--events 1000000]

Smoke run: ``--customers 2000 --events 20000 --reads 10 --ingest 5000 --http-ingest 5000``.

A scratch database is created, migrated, bulk-loaded with COPY (one tenant: customers and
analytics events spread over 60 days, then VACUUM ANALYZE as after any bulk load),
measured, and dropped. Every figure goes through the use cases as a library user calls
them, wired as the container wires them with Redis: the Redis cache and the Redis live
counters. ``get_dashboard`` cold (the dashboard namespace dropped before each read) and
warm (served from Redis; today's figures read from the counters on every call);
``get_metrics`` likewise. Ingestion: ``ingest_events`` in batches of 1,000, once for each
count of concurrent callers in ``--lib-clients`` (one transaction per batch; the counters are
incremented and the cache dropped after each commit), next to the reference: the same number
of rows written by raw ``COPY`` on one connection, one transaction per batch, as the
superuser (no row-level security). Then the same over HTTP: ``lana serve`` (one worker)
on the scratch database, batches POSTed to ``/api/v1/analytics/events/batch`` by
``--http-clients`` concurrent clients.
Targets: warm p99 <= 5 ms, cold <= 250 ms, library ingestion >= 50,000 events/s, HTTP
ingestion >= 20,000 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import secrets
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy.engine import make_url

from lana_adapters.redis import RedisCache, RedisSettings, connect
from lana_adapters.redis.counters import LiveCounters
from lana_adapters.sql import SqlSettings, SqlUnitOfWorkFactory, create_engine_from, migrate
from lana_core.app import Lana
from lana_core.domain.analytics import Timeframe
from lana_core.domain.tenancy import Actor
from lana_core.memory import ScryptHasher
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_core.usecases.analytics import IngestEvent, IngestEventsBatch
from lana_core.usecases.tenants import CreateTenant

STATUSES = ("prospect", "active", "inactive")
VALUES = ("low", "medium", "high")
NAMES = tuple(f"event.{n}" for n in range(40))
DAYS = 60
ADMIN_EMAIL = "a@bench.test"
ADMIN_PASSWORD = "bench password 12"
HTTP_TENANT = "bench-http"


def _admin(server_url: str, statement: str) -> None:
    url = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement.encode())


def _copy(url: str, table: str, columns: str, rows: Iterator[str]) -> None:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN".encode()) as copy:
            chunk = io.StringIO()
            for number, row in enumerate(rows, 1):
                chunk.write(row)
                if number % 50_000 == 0:
                    copy.write(chunk.getvalue())
                    chunk = io.StringIO()
            copy.write(chunk.getvalue())
        cursor.execute(f"ANALYZE {table}".encode())


def _customers(tenant: uuid.UUID, count: int, now: datetime) -> Iterator[str]:
    rng = random.Random(1)
    for n in range(count):
        created = (now - timedelta(seconds=rng.randrange(DAYS * 86_400))).isoformat()
        status = rng.choice(STATUSES)
        activated = created if status != "prospect" else r"\N"
        name = f"Customer {n}"
        fields = (tenant, uuid.uuid4(), name, f"c{n}@bench.test", r"\N", "Bench Ltd", r"\N", "[]", "{}")
        rest = (rng.choice(VALUES), status, r"\N", 1, created, created, activated, r"\N", name.lower())
        yield "\t".join(map(str, fields + rest)) + "\n"


def _events(tenant: uuid.UUID, count: int, now: datetime) -> Iterator[str]:
    rng = random.Random(2)
    for _ in range(count):
        at = (now - timedelta(seconds=rng.randrange(DAYS * 86_400))).isoformat()
        user, session = f"u{rng.randrange(5_000)}", f"s{rng.randrange(50_000)}"
        fields = (tenant, uuid.uuid4(), at, rng.choice(NAMES), user, session, r"\N", r"\N", "{}", at)
        yield "\t".join(map(str, fields)) + "\n"


CUSTOMER_COLUMNS = (
    "tenant_id, id, name, email, phone, company, notes, tags, attributes, value, status, owner_id,"
    " version, created_at, updated_at, activated_at, archived_at, search_text"
)
EVENT_COLUMNS = (
    "tenant_id, id, occurred_at, name, user_id, session_id, subject_type, subject_id, properties, received_at"
)
COPY_EVENTS = b"COPY analytics_events (tenant_id, id, occurred_at, name, user_id, properties, received_at)"
COPY_EVENTS += b" FROM STDIN"


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered):7.2f} ms   p99 {p99:7.2f} ms   (n={len(ordered)})"


async def _timed(
    times: int, before: Callable[[], Awaitable[None]], call: Callable[[], Awaitable[object]]
) -> list[float]:
    samples = []
    for _ in range(times):
        await before()
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def _nothing() -> None:
    return None


async def _latencies(lana: Lana, cache: RedisCache, admin: Actor, reads: int) -> None:
    async def cold_dashboard() -> None:
        await cache.invalidate(admin.tenant_id, ["dashboard"])

    async def cold_analytics() -> None:
        await cache.invalidate(admin.tenant_id, ["analytics"])

    dashboard = lambda: lana.get_dashboard(admin)  # noqa: E731
    await dashboard()  # warm the pools
    print("dashboard cold  ", _percentiles(await _timed(reads, cold_dashboard, dashboard)))
    print("dashboard warm  ", _percentiles(await _timed(reads * 10, _nothing, dashboard)))
    metrics = lambda: lana.get_metrics(admin, Timeframe.MONTH)  # noqa: E731
    print("metrics 30d cold", _percentiles(await _timed(max(reads // 5, 5), cold_analytics, metrics)))
    print("metrics 30d warm", _percentiles(await _timed(reads * 10, _nothing, metrics)))


def _batch(size: int) -> list[dict[str, str]]:
    return [{"name": NAMES[n % len(NAMES)], "user_id": f"u{n % 500}"} for n in range(size)]


async def _ingestion(lana: Lana, admin: Actor, args: argparse.Namespace, callers: int) -> None:
    commands = [IngestEvent(name=fields["name"], user_id=fields["user_id"]) for fields in _batch(args.batch)]
    batches = max(callers, args.ingest // args.batch)
    queue = list(range(batches))

    async def caller() -> None:
        while queue:
            queue.pop()
            await lana.ingest_events(admin, IngestEventsBatch(events=commands))

    start = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(callers)))
    elapsed = time.perf_counter() - start
    rate = batches * args.batch / elapsed
    shape = f"{batches} batches of {args.batch}, {callers} concurrent callers"
    print(f"ingestion lib    {rate:9.0f} events/s  ({shape})")


def _copy_ingestion(url: str, tenant: uuid.UUID, args: argparse.Namespace) -> None:
    """The reference: the library's batches as raw COPY, one transaction per batch."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    now = datetime.now(UTC).isoformat()
    batches = max(1, args.ingest // args.batch)
    with psycopg.connect(plain) as conn:
        start = time.perf_counter()
        for _ in range(batches):
            rows = "".join(
                f"{tenant}\t{uuid.uuid4()}\t{now}\t{fields['name']}\t{fields['user_id']}\t{{}}\t{now}\n"
                for fields in _batch(args.batch)
            )
            with conn.cursor() as cursor, cursor.copy(COPY_EVENTS) as copy:
                copy.write(rows)
            conn.commit()
        elapsed = time.perf_counter() - start
    rate = batches * args.batch / elapsed
    print(f"ingestion COPY   {rate:9.0f} rows/s    ({batches} batches of {args.batch}, one connection)")


def _http_ingestion(url: str, redis_url: str, prefix: str, args: argparse.Namespace) -> None:
    """Batches POSTed to ``lana serve`` (one worker) by concurrent clients."""
    from benchmarks.http_api import LANA, ROOT, SECRET, _free_port, server

    port = _free_port()
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("LANA_")},
        "LANA_DATABASE_URL": url,
        "LANA_REDIS_URL": redis_url,
        "LANA_REDIS_KEY_PREFIX": prefix,
        "LANA_JWT_SECRET": SECRET,
        # The server creates this tenant on start (its hasher is not the library run's).
        "LANA_TENANT_SLUG": HTTP_TENANT,
        "LANA_ADMIN_EMAIL": ADMIN_EMAIL,
        "LANA_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LANA_RATE_LIMIT_PER_MINUTE": "0",
        "LANA_TENANT_RATE_LIMIT_PER_MINUTE": "0",
        "LANA_LOG_LEVEL": "WARNING",
    }
    command = [LANA, "serve", "--port", str(port), "--workers", "1"]
    with server(command, env, port, "/health/ready", ROOT):
        elapsed, sent = asyncio.run(_post_batches(port, args))
    print(
        f"ingestion http   {sent / elapsed:9.0f} events/s  ({sent // args.batch} batches of {args.batch},"
        f" {args.http_clients} clients, one server worker)"
    )


async def _post_batches(port: int, args: argparse.Namespace) -> tuple[float, int]:
    import httpx

    base = f"http://127.0.0.1:{port}/api/v1"
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        body = {"tenant": HTTP_TENANT, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        token = (await client.post("/auth/login", json=body)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        payload = json.dumps({"events": _batch(args.batch)}).encode()
        batches = max(args.http_clients, args.http_ingest // args.batch)
        queue = list(range(batches))

        async def worker() -> None:
            while queue:
                queue.pop()
                response = await client.post("/analytics/events/batch", content=payload, headers=headers)
                response.raise_for_status()

        await worker()  # the first batch warms the server up, unmeasured
        queue[:] = list(range(batches))
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.http_clients)))
        return time.perf_counter() - start, batches * args.batch


async def run(args: argparse.Namespace) -> None:
    server, redis_url = args.postgres_url, args.redis_url
    name = f"lana_bench_{secrets.token_hex(4)}"
    _admin(server, f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    settings = RedisSettings(url=redis_url, key_prefix=f"{name}:")
    client = connect(settings)
    engine = create_engine_from(SqlSettings(url=url, pool_size=5))
    try:
        await asyncio.to_thread(migrate, url)
        cache = RedisCache(client, settings)
        kernel = Kernel(
            uow=SqlUnitOfWorkFactory(engine),
            clock=SystemClock(),
            ids=TimeOrderedIds(),
            cache=cache,
            counters=LiveCounters(client, settings),
        )
        lana = Lana(kernel, hasher=ScryptHasher(n=2, r=1, p=1))
        _, admin = await lana.create_tenant(
            CreateTenant(
                slug="bench",
                name="Bench",
                admin_email=ADMIN_EMAIL,
                admin_name="A",
                admin_password=ADMIN_PASSWORD,
            )
        )
        now, started = datetime.now(UTC), time.perf_counter()
        await asyncio.to_thread(
            _copy, url, "customers", CUSTOMER_COLUMNS, _customers(admin.tenant_id, args.customers, now)
        )
        await asyncio.to_thread(
            _copy, url, "analytics_events", EVENT_COLUMNS, _events(admin.tenant_id, args.events, now)
        )
        await asyncio.to_thread(_admin, url, "VACUUM ANALYZE")
        took = time.perf_counter() - started
        print(f"loaded {args.customers:,} customers and {args.events:,} events in {took:.1f}s")
        await _latencies(lana, cache, admin, args.reads)
        for callers in args.lib_clients:
            await _ingestion(lana, admin, args, callers)
        await asyncio.to_thread(_copy_ingestion, url, admin.tenant_id, args)
        if args.http_ingest:
            await asyncio.to_thread(_http_ingestion, url, redis_url, f"{name}:", args)
    finally:
        await engine.dispose()
        keys = [key async for key in client.scan_iter(match=f"{name}:*", count=1000)]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _counts(text: str) -> tuple[int, ...]:
    counts = tuple(int(part) for part in text.split(","))
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("expected positive counts separated by commas, e.g. 1,4")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=50, help="cold reads (warm reads: ten times as many)")
    parser.add_argument(
        "--ingest", type=int, default=100_000, help="events ingested for the throughput figure"
    )
    parser.add_argument(
        "--http-ingest", type=int, default=100_000, help="events POSTed for the HTTP figure (0: skip)"
    )
    parser.add_argument(
        "--lib-clients",
        type=_counts,
        default=(1, 4),
        help="concurrent library callers, one ingestion run per count (default: 1,4)",
    )
    parser.add_argument("--http-clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--postgres-url", default=os.environ.get("LANA_TEST_POSTGRES_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("LANA_TEST_REDIS_URL"))
    args = parser.parse_args()
    if not args.postgres_url or not args.redis_url:
        parser.error(
            "set LANA_TEST_POSTGRES_URL and LANA_TEST_REDIS_URL (or pass --postgres-url/--redis-url)"
        )
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
