"""Requests per second, latency and memory of the HTTP API next to bare reference endpoints.

    uv run --no-sync python -m benchmarks.http_api [--seconds 10] [--connections 64]
        [--database both|sqlite|postgres]

Each database (SQLite always; PostgreSQL when ``LANA_BENCH_POSTGRES_URL`` or
``LANA_TEST_POSTGRES_URL`` names a server) gets two servers of 2 worker processes each:
``lana serve`` and a framework-free ASGI app with the reference endpoints (constant JSON, a
one-row read, a one-row insert, no auth). A third server puts the same read and insert behind
bare Litestar routes, to show what the framework alone costs. A load generator in another
process keeps ``--connections`` keep-alive connections busy for ``--seconds`` per scenario.

Besides requests/s and latency, each scenario prints the CPU time per request (from /proc,
so on Linux) of the server's processes, of every PostgreSQL process on the machine and of
the load generator: the three share the cores, so together they bound the throughput.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this directory would come first on the path and this file would shadow
# the standard library's `http` module.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
LANA = str(Path(sys.executable).with_name("lana"))
PASSWORD = "benchmark password 123"
SECRET = "benchmark-signing-secret-of-sufficient-length"
ROWS = 1_000
# Throughput targets: (Lana's scenario, the reference it is held to, the share of its req/s).
TARGETS = (
    ("lana: get customer", "reference: one-row read", 0.80),
    ("lana: create customer", "reference: one-row insert", 0.60),
)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


# --- the reference app: as little as an endpoint can do -------------------------------------


def reference_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI app on ``BENCH_REFERENCE_URL`` (``postgresql://…`` or a SQLite file path)."""
    url = os.environ["BENCH_REFERENCE_URL"]
    state: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send, url, state)
            return
        path = scope["path"]
        if path == "/ref/const":
            body = b'{"status":"ok","answer":42}'
        elif path == "/ref/read":
            body = await state["read"](random.randrange(1, ROWS + 1))
        else:
            await _drain(receive)
            body = await state["insert"]()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def litestar_reference_app() -> Any:
    """The reference read and insert as bare Litestar routes: no middleware, auth or schema."""
    from litestar import Litestar, MediaType, Response, get, post

    url = os.environ["BENCH_REFERENCE_URL"]
    state: dict[str, Any] = {}

    async def startup() -> None:
        state.update(await (_postgres(url) if url.startswith("postgresql") else _sqlite(url)))

    async def shutdown() -> None:
        await state["close"]()

    @get("/ref/read", media_type=MediaType.JSON)
    async def read() -> Response[bytes]:
        return Response(await state["read"](random.randrange(1, ROWS + 1)))

    @post("/ref/insert", media_type=MediaType.JSON, status_code=200)
    async def insert() -> Response[bytes]:
        return Response(await state["insert"]())

    return Litestar(
        [read, insert],
        on_startup=[startup],
        on_shutdown=[shutdown],
        openapi_config=None,
        signature_namespace={"Response": Response},  # the annotations are strings here
    )


async def _lifespan(receive: Receive, send: Send, url: str, state: dict[str, Any]) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            state.update(await (_postgres(url) if url.startswith("postgresql") else _sqlite(url)))
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await state["close"]()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _postgres(url: str) -> dict[str, Any]:
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(url, min_size=10, max_size=10, open=False)
    await pool.open()

    async def read(row: int) -> bytes:
        async with pool.connection() as conn:
            found = await (
                await conn.execute("SELECT id, name FROM bench_items WHERE id = %s", (row,))
            ).fetchone()
        return json.dumps({"id": found[0], "name": found[1]}).encode() if found else b"{}"

    async def insert() -> bytes:
        async with pool.connection() as conn:
            new = await (
                await conn.execute("INSERT INTO bench_items (name) VALUES ('x') RETURNING id")
            ).fetchone()
        return json.dumps({"id": new[0] if new else None}).encode()

    return {"read": read, "insert": insert, "close": pool.close}


async def _sqlite(path: str) -> dict[str, Any]:
    import aiosqlite

    conn = await aiosqlite.connect(path, timeout=5)
    await conn.execute("PRAGMA journal_mode=WAL")
    await conn.execute("PRAGMA synchronous=NORMAL")

    async def read(row: int) -> bytes:
        async with conn.execute("SELECT id, name FROM bench_items WHERE id = ?", (row,)) as cursor:
            found = await cursor.fetchone()
        return json.dumps({"id": found[0], "name": found[1]}).encode() if found else b"{}"

    async def insert() -> bytes:
        cursor = await conn.execute("INSERT INTO bench_items (name) VALUES ('x')")
        await conn.commit()
        return json.dumps({"id": cursor.lastrowid}).encode()

    return {"read": read, "insert": insert, "close": conn.close}


async def _drain(receive: Receive) -> None:
    while (await receive()).get("more_body"):
        pass


# --- the load generator: raw HTTP/1.1 over keep-alive connections ---------------------------


def _load(port: int, request: bytes, seconds: float, connections: int, queue: Any) -> None:
    count, errors, latencies = asyncio.run(_drive(port, request, seconds, connections))
    queue.put((count, errors, latencies, time.process_time()))


async def _drive(port: int, request: bytes, seconds: float, connections: int) -> tuple[int, int, list[float]]:
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = [0]

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            status = await _response(reader)
            latencies.append(time.perf_counter() - started)
            errors[0] += status >= 400
        writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return len(latencies), errors[0], latencies


async def _response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


def _request(method: str, path: str, token: str | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    if body:
        lines.append("Content-Type: application/json")
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def measure(
    port: int, request: bytes, seconds: float, connections: int, server_pid: int | None = None
) -> dict[str, float]:
    """Requests/s, p50/p99 (ms) and errors of one scenario; with ``server_pid``, also the CPU
    milliseconds per request spent by that server's processes, by PostgreSQL's and by the
    load generator."""
    queue: Any = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(
        target=_load, args=(port, request, seconds, connections, queue)
    )
    server_before = _cpu_seconds(_process_tree(server_pid)) if server_pid else 0.0
    database_before = _cpu_seconds(_postgres_processes())
    process.start()
    count, errors, latencies, load_cpu = queue.get(timeout=seconds + 120)
    server_cpu = _cpu_seconds(_process_tree(server_pid)) - server_before if server_pid else 0.0
    database_cpu = _cpu_seconds(_postgres_processes()) - database_before
    process.join()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    per_request = 1000 / max(count, 1)
    return {
        "rps": count / seconds,
        "p50": cuts[49] * 1000,
        "p99": cuts[98] * 1000,
        "errors": errors,
        "server_ms": server_cpu * per_request,
        "database_ms": database_cpu * per_request,
        "load_ms": load_cpu * per_request,
    }


# --- where the CPU goes: /proc, on Linux ------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[str, list[str]] | None:
    """(command name, the fields after it) of /proc/<pid>/stat; None once the process ended."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name, in parentheses, may itself hold spaces and parentheses.
    return stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()


def _processes() -> Iterator[tuple[int, str, list[str]]]:
    """(pid, command name, the stat fields after the name) of every live process."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            yield int(entry.name), *stat


def _process_tree(root: int) -> list[int]:
    """``root`` and its descendants (a server's supervisor and its workers)."""
    children: dict[int, list[int]] = {}
    for pid, _, fields in _processes():
        children.setdefault(int(fields[1]), []).append(pid)  # fields[1]: the parent's pid
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def _postgres_processes() -> list[int]:
    """Every PostgreSQL server process on this machine (its backends run the queries)."""
    return [pid for pid, name, _ in _processes() if name == "postgres"]


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time, in seconds, that the live processes ``pids`` have used."""
    ticks = 0
    for pid in pids:
        if (stat := _stat(pid)) is not None:
            ticks += int(stat[1][11]) + int(stat[1][12])  # utime, stime
    return ticks / _TICKS


# --- servers ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(command: list[str], env: dict[str, str], port: int, ready: str, cwd: Path) -> Any:
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}{ready}", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"server {command} never became ready")
        time.sleep(1)  # let every worker finish its start-up
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def worker_rss_mib(process: subprocess.Popen[bytes]) -> list[float]:
    """Resident memory of each worker process (the children of uvicorn's supervisor)."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            # Workers run spawn_main; the supervisor's other child is multiprocessing's resource tracker.
            is_worker = b"spawn_main" in (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(process.pid) and "VmRSS" in fields and is_worker:
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sorted(sizes)


# --- one database ----------------------------------------------------------------------------


def prepare_reference(url: str) -> None:
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS bench_items (id serial PRIMARY KEY, name text NOT NULL)")
            conn.execute(
                "INSERT INTO bench_items (name) SELECT 'item ' || n FROM generate_series(1, %s) n", (ROWS,)
            )
        return
    import sqlite3

    with sqlite3.connect(url) as conn:
        conn.execute("CREATE TABLE bench_items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        conn.executemany("INSERT INTO bench_items (name) VALUES (?)", [(f"item {n}",) for n in range(ROWS)])


def bench_database(
    label: str, lana_url: str, reference_url: str, args: argparse.Namespace, work: Path
) -> None:
    prepare_reference(reference_url)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("LANA_")}
    lana_env = {
        **base_env,
        "LANA_DATABASE_URL": lana_url,
        "LANA_JWT_SECRET": SECRET,
        "LANA_ADMIN_PASSWORD": PASSWORD,
        "LANA_ACCESS_TOKEN_TTL_SECONDS": "3600",
        "LANA_RATE_LIMIT_PER_MINUTE": "0",
        "LANA_TENANT_RATE_LIMIT_PER_MINUTE": "0",
    }
    lana_port, ref_port, floor_port = _free_port(), _free_port(), _free_port()
    lana_cmd = [LANA, "serve", "--port", str(lana_port), "--workers", "2"]
    ref_env = {**base_env, "BENCH_REFERENCE_URL": reference_url, "PYTHONPATH": str(ROOT)}
    floor_cmd = _uvicorn("litestar_reference_app", floor_port)
    with (
        server(lana_cmd, lana_env, lana_port, "/health/ready", work) as lana,
        server(_uvicorn("reference_app", ref_port), ref_env, ref_port, "/ref/const", ROOT) as reference,
        server(floor_cmd, ref_env, floor_port, "/ref/read", ROOT) as floor,
    ):
        token, customer_id = _sign_in(lana_port)
        create = json.dumps({"name": "Benchmark Customer", "company": "Load Ltd"}).encode()
        ref, bare, api = (reference.pid, ref_port), (floor.pid, floor_port), (lana.pid, lana_port)
        scenarios = [
            ("reference: constant JSON", ref, _request("GET", "/ref/const")),
            ("reference: one-row read", ref, _request("GET", "/ref/read")),
            ("reference: one-row insert", ref, _request("POST", "/ref/insert")),
            ("bare Litestar: one-row read", bare, _request("GET", "/ref/read")),
            ("bare Litestar: one-row insert", bare, _request("POST", "/ref/insert")),
            ("lana: get customer", api, _request("GET", f"/api/v1/customers/{customer_id}", token)),
            ("lana: create customer", api, _request("POST", "/api/v1/customers", token, create)),
        ]
        print(f"\n{label}: 2 workers per server, {args.connections} connections, {args.seconds:g} s each")
        print(f"{'':<62}{'CPU ms per request':^30}")
        columns = ("req/s", "p50 ms", "p99 ms", "server", "database", "load", "errors")
        print(f"{'scenario':<32}" + "".join(f"{column:>10}" for column in columns))
        results = {}
        for name, (pid, port), request in scenarios:
            r = results[name] = measure(port, request, args.seconds, args.connections, pid)
            print(
                f"{name:<32}{r['rps']:>10.0f}{r['p50']:>10.1f}{r['p99']:>10.1f}"
                f"{r['server_ms']:>10.3f}{r['database_ms']:>10.3f}{r['load_ms']:>10.3f}{r['errors']:>10.0f}"
            )
        print(f"RSS per worker (MiB): lana {_rss(lana)}, reference {_rss(reference)}")
        for lana_name, reference_name, share in TARGETS:
            print(_against_target(results[lana_name], results[reference_name], lana_name, share))


def _cpu_ms(result: dict[str, float]) -> float:
    return result["server_ms"] + result["database_ms"] + result["load_ms"]


def _against_target(lana: dict[str, float], reference: dict[str, float], name: str, share: float) -> str:
    """How ``name`` did against its target, and the CPU per request the target allows: with
    every process of the run sharing the cores, requests/s scale as 1 / CPU per request."""
    return (
        f"{name.removeprefix('lana: ')}: {lana['rps'] / reference['rps']:.0%} of the reference's "
        f"req/s (target {share:.0%}); {share:.0%} allows {_cpu_ms(reference) / share:.3f} ms of CPU "
        f"per request in all, it used {_cpu_ms(lana):.3f}"
    )


def _uvicorn(factory: str, port: int) -> list[str]:
    """The command serving ``benchmarks.http_api:<factory>`` as ``lana serve`` serves Lana."""
    command = [sys.executable, "-m", "uvicorn", f"benchmarks.http_api:{factory}", "--factory"]
    return [*command, "--workers", "2", "--port", str(port), "--log-level", "warning", "--no-access-log"]


def _rss(process: subprocess.Popen[bytes]) -> str:
    return ", ".join(f"{size:.0f}" for size in worker_rss_mib(process)) or "?"


def _sign_in(port: int) -> tuple[str, str]:
    base = f"http://127.0.0.1:{port}/api/v1"
    body = {"tenant": "default", "email": "admin@lana.localhost", "password": PASSWORD}
    token = httpx.post(f"{base}/auth/login", json=body, timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    customer = httpx.post(f"{base}/customers", json={"name": "Read Me"}, headers=headers, timeout=10).json()
    return token, customer["id"]


def _postgres_server() -> str | None:
    return os.environ.get("LANA_BENCH_POSTGRES_URL") or os.environ.get("LANA_TEST_POSTGRES_URL")


@contextmanager
def temporary_postgres() -> Iterator[tuple[str, str] | None]:
    """(Lana's URL, the plain driver's URL) of a new database dropped afterwards; None, with a
    line saying so, when no PostgreSQL server is configured."""
    server_url = _postgres_server()
    if server_url is None:
        print("\nPostgreSQL: skipped (set LANA_BENCH_POSTGRES_URL or LANA_TEST_POSTGRES_URL)")
        yield None
        return
    lana_url, plain_url, drop = _postgres_databases(server_url)
    try:
        yield lana_url, plain_url
    finally:
        drop()


def _postgres_databases(server_url: str) -> tuple[str, str, Callable[[], None]]:
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"lana_bench_{secrets.token_hex(4)}"
    server_url_obj = make_url(server_url)
    admin = server_url_obj.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    lana_url = server_url_obj.set(drivername="postgresql+psycopg", database=name)
    plain = server_url_obj.set(drivername="postgresql", database=name)
    return lana_url.render_as_string(hide_password=False), plain.render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--database", choices=("both", "sqlite", "postgres"), default="both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lana_bench_") as directory:
        work = Path(directory)
        if args.database != "postgres":
            sqlite_url = f"sqlite+aiosqlite:///{work / 'lana.db'}"
            bench_database("SQLite", sqlite_url, str(work / "reference.db"), args, work)
        if args.database == "sqlite":
            return
        with temporary_postgres() as urls:
            if urls is not None:
                bench_database("PostgreSQL", *urls, args, work)


if __name__ == "__main__":
    main()
