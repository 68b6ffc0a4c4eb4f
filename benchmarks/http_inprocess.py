"""CPU time one worker spends per API request, with no sockets in the way.

    uv run --no-sync python -m benchmarks.http_inprocess [--requests 4000] [--concurrency 16]
        [--database both|sqlite|postgres] [--scenario both|get|create] 2>/dev/null

Calls the Litestar app directly as an ASGI callable, ``--concurrency`` requests at a
time, and prints the process CPU time per request for get-customer and create-customer
on SQLite and, when ``LANA_BENCH_POSTGRES_URL`` or ``LANA_TEST_POSTGRES_URL`` names a
server, PostgreSQL; with ``LANA_BENCH_REDIS_URL`` set, the app uses that Redis as a
deployment of several workers would (cache, sessions, rate-limit counters). It isolates
the app's own cost (routing, authentication, the use case, the unit of work,
serialisation, logging) from the HTTP server and the load generator,
whose share ``benchmarks.http_api`` includes; run it under ``py-spy record`` to see where
the time goes. The app logs each request to standard error, as a server does: send that
to ``/dev/null``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from dependency_injector import providers
from litestar import Litestar

from benchmarks.http_api import temporary_postgres
from lana_adapters.container import Container
from lana_adapters.settings import Settings
from lana_http import create_app
from lana_http.cli._context import migrate_database
from lana_http.heap import settle_heap
from lana_http.settings import HttpSettings

PASSWORD = "benchmark password 123"
CREATE_BODY = json.dumps({"name": "Benchmark Customer", "company": "Load Ltd"}).encode()
Request = tuple[dict[str, Any], bytes]
Call = Callable[[], Awaitable[None]]


def build_app(database_url: str) -> Litestar:
    container = Container()
    redis_url = os.environ.get("LANA_BENCH_REDIS_URL", "")
    container.settings.override(
        providers.Object(Settings.from_env({"LANA_DATABASE_URL": database_url, "LANA_REDIS_URL": redis_url}))
    )
    http = HttpSettings(
        jwt_secret="benchmark-signing-secret-of-sufficient-length",
        allow_signup=True,
        rate_limit_per_minute=0,
        tenant_rate_limit_per_minute=0,
        access_token_ttl_seconds=3600,
    )
    return create_app(container, http)


async def sign_up(app: Litestar) -> tuple[str, str]:
    """A tenant with its admin signed in, and one customer to read: (token, customer id)."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # httpx types ASGI loosely
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        admin = {"slug": "bench", "name": "Bench Ltd", "admin_email": "admin@bench.example.com"}
        await client.post("/api/v1/tenants", json={**admin, "admin_name": "Ada", "admin_password": PASSWORD})
        login = {"tenant": "bench", "email": "admin@bench.example.com", "password": PASSWORD}
        token = (await client.post("/api/v1/auth/login", json=login)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        customer = await client.post("/api/v1/customers", json={"name": "Read Me"}, headers=headers)
    return token, str(customer.json()["id"])


def asgi_request(method: str, path: str, token: str, body: bytes = b"") -> Request:
    headers = [
        (b"host", b"127.0.0.1"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    if body:
        headers.append((b"content-type", b"application/json"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    return scope, body


def asgi_caller(app: Litestar, request: Request) -> Call:
    scope, body = request

    async def call() -> None:
        answered: list[int] = []
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                await asyncio.Event().wait()  # the client never disconnects
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answered.append(message["status"])

        await app({**scope, "state": {}}, receive, send)  # type: ignore[arg-type]
        if not answered or answered[0] >= 300:
            raise RuntimeError(f"{scope['method']} {scope['path']} answered {answered}")

    return call


async def _cpu_per_request(call: Call, requests: int, concurrency: int) -> tuple[float, float]:
    async def caller(count: int) -> None:
        for _ in range(count):
            await call()

    await asyncio.gather(*(caller(50) for _ in range(concurrency)))  # warm every cache up
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(caller(requests // concurrency) for _ in range(concurrency)))
    done = requests // concurrency * concurrency
    return (time.process_time() - cpu) / done * 1000, done / (time.perf_counter() - wall)


@contextlib.asynccontextmanager
async def scenarios_on(database_url: str, scenario: str = "both") -> AsyncIterator[dict[str, Call]]:
    """The app on a migrated ``database_url``, started and signed up to, with the heap
    settled as a served worker's is: a call per scenario asked for (``get``, ``create``
    or ``both``), by name."""
    migrate_database(Settings.from_env({"LANA_DATABASE_URL": database_url}))
    app = build_app(database_url)
    async with app.lifespan():
        token, customer_id = await sign_up(app)
        settle_heap()  # as a served worker does once started (see lana_http.asgi)
        requests = {
            "get customer": asgi_request("GET", f"/api/v1/customers/{customer_id}", token),
            "create customer": asgi_request("POST", "/api/v1/customers", token, CREATE_BODY),
        }
        yield {
            name: asgi_caller(app, request)
            for name, request in requests.items()
            if scenario in ("both", name.split()[0])
        }


async def _bench(label: str, database_url: str, args: argparse.Namespace) -> None:
    async with scenarios_on(database_url, args.scenario) as calls:
        for name, call in calls.items():
            cpu_ms, rate = await _cpu_per_request(call, args.requests, args.concurrency)
            print(f"{label:<12}{name:<18}{cpu_ms:>10.3f} ms CPU/request{rate:>10.0f} req/s")


async def main(args: argparse.Namespace) -> None:
    print(f"{args.requests} requests per scenario, {args.concurrency} at a time, in one process")
    if args.database in ("both", "sqlite"):
        with tempfile.TemporaryDirectory(prefix="lana_bench_") as directory:
            await _bench("SQLite", f"sqlite+aiosqlite:///{Path(directory) / 'lana.db'}", args)
    if args.database == "sqlite":
        return
    with temporary_postgres() as urls:
        if urls is not None:
            await _bench("PostgreSQL", urls[0], args)


def loop_runner() -> Callable[[Any], Any]:
    try:
        import uvloop
    except ImportError:  # Windows: the server runs on asyncio there too
        return asyncio.run
    return uvloop.run


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database", choices=("both", "sqlite", "postgres"), default="both")
    parser.add_argument("--scenario", choices=("both", "get", "create"), default="both")
    loop_runner()(main(parser.parse_args()))
