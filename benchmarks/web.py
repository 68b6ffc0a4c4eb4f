"""Server time and size of the web app's pages, with 100,000 customers in the tenant.

    uv run --no-sync python -m benchmarks.web [--customers 100000] [--samples 300]
        [--database both|sqlite|postgres]

Calls the Litestar app directly as an ASGI callable (no sockets, one request at a time),
signed in through the sign-in form with a session cookie as a browser is, and prints for
each page the median and p99 wall time from the request to the last byte of the page, and
the page's size before compression. SQLite runs on a temporary file; PostgreSQL when
``LANA_BENCH_POSTGRES_URL`` or ``LANA_TEST_POSTGRES_URL`` names a server (a scratch
database, dropped afterwards). Customers are loaded with the persistence benchmark's
loader (COPY on PostgreSQL); the dashboard is measured warm (its figures cached, as
between two writes).
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

import httpx
from dependency_injector import providers
from litestar import Litestar

from benchmarks.http_api import temporary_postgres
from benchmarks.http_inprocess import PASSWORD, loop_runner, sign_up
from benchmarks.persistence import seed
from lana_adapters.container import Container
from lana_adapters.settings import Settings
from lana_http import create_app
from lana_http.cli._context import migrate_database
from lana_http.heap import settle_heap
from lana_http.runtime import STATE_KEY, Runtime
from lana_http.settings import HttpSettings
from lana_http.web.context import WEB_AUTH_KEY
from lana_http.web.session import WebAuth

TARGET_LIST_MS = 50.0
TARGET_DASHBOARD_MS = 20.0
TARGET_PAGE_BYTES = 100_000
Page = Callable[[], Awaitable[tuple[int, int]]]


def build_app(database_url: str) -> Litestar:
    container = Container()
    container.settings.override(providers.Object(Settings.from_env({"LANA_DATABASE_URL": database_url})))
    http = HttpSettings(
        jwt_secret="benchmark-signing-secret-of-sufficient-length",
        allow_signup=True,
        rate_limit_per_minute=0,
        tenant_rate_limit_per_minute=0,
        access_log=False,
    )
    return create_app(container, http)


async def sign_in(app: Litestar) -> str:
    """The session cookie of the admin, signed in through the form as a browser does."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]  # httpx types ASGI loosely
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        form = await client.get("/login")
        token = re.search(r'name="_csrf" value="([^"]+)"', form.text)
        assert token, "the sign-in form has no CSRF token"
        fields = {"_csrf": token.group(1), "tenant": "bench", "email": "admin@bench.example.com"}
        answer = await client.post("/login", data={**fields, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        return str(client.cookies["lana_session"])


def page_caller(
    app: Litestar, path: str, cookie: str, extra: list[tuple[bytes, bytes]] | None = None
) -> Page:
    """A GET of ``path`` as the signed-in browser; answers (status, bytes of the body)."""
    route, _, query = path.partition("?")
    headers = [
        (b"host", b"127.0.0.1"),
        (b"accept", b"text/html"),
        (b"cookie", f"lana_session={cookie}".encode()),
        *(extra or []),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": route,
        "raw_path": route.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def call() -> tuple[int, int]:
        status: list[int] = []
        size = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal size
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))

        await app({**scope, "state": {}}, receive, send)  # type: ignore[arg-type]
        if not status or status[0] != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        return status[0], size

    return call


async def measure(page: Page, samples: int) -> tuple[float, float, float, int]:
    """(median ms, p99 ms, CPU ms a request, bytes) over ``samples`` calls after a few to
    warm up. Wall times include waiting for the database (and for the machine, when
    something else runs on it); CPU time is this process's own work."""
    for _ in range(10):
        await page()
    times, size = [], 0
    cpu = time.process_time()
    for _ in range(samples):
        start = time.perf_counter()
        _, size = await page()
        times.append((time.perf_counter() - start) * 1000)
    cpu_ms = (time.process_time() - cpu) / samples * 1000
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))], cpu_ms, size


async def _next_cursor(app: Litestar, cookie: str) -> str:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        first = await client.get("/customers", cookies={"lana_session": cookie})
    found = re.search(r'id="more">\s*<td[^>]*><a class="button secondary" href="([^"]+)"', first.text)
    assert found, "the first page offers no more"
    return found.group(1).replace("&amp;", "&")


async def bench(label: str, url: str, plain_url: str | None, args: argparse.Namespace) -> None:
    migrate_database(Settings.from_env({"LANA_DATABASE_URL": url}))
    app = build_app(url)
    async with app.lifespan():
        await sign_up(app)
        cookie = await sign_in(app)
        runtime: Runtime = app.state[STATE_KEY]
        admin = (await web_auth_of(app).session(cookie)).actor
        await seed(runtime.lana.kernel, admin, args.customers, plain_url)
        if plain_url is not None:
            _vacuum(plain_url)
        customer_id = await _some_customer(app, cookie)
        settle_heap()
        more = await _next_cursor(app, cookie)
        htmx = [(b"hx-request", b"true"), (b"hx-target", b"more")]
        pages = {
            "customers, first 50": page_caller(app, "/customers", cookie),
            "customers by name": page_caller(app, "/customers?sort=name", cookie),
            "customers, search": page_caller(app, "/customers?" + urlencode({"q": args.search}), cookie),
            "next 50 (htmx rows)": page_caller(app, more, cookie, htmx),
            "customer page": page_caller(app, f"/customers/{customer_id}", cookie),
            "dashboard, warm": page_caller(app, "/", cookie),
            "projects board": page_caller(app, "/projects", cookie),
        }
        print(f"\n{label}, {args.customers} customers, {args.samples} requests a page, one at a time")
        print(f"  {'page':<22}{'median':>9}{'p99':>9}{'CPU':>9}{'size':>10}")
        for name, page in pages.items():
            median, p99, cpu_ms, size = await measure(page, args.samples)
            print(f"  {name:<22}{median:>7.1f}ms{p99:>7.1f}ms{cpu_ms:>7.1f}ms{size / 1000:>8.1f}kB")
    print(
        f"  (targets: a page of 50 customers ≤ {TARGET_LIST_MS:.0f} ms p99, the dashboard warm ≤ "
        f"{TARGET_DASHBOARD_MS:.0f} ms, every page < {TARGET_PAGE_BYTES // 1000} kB)"
    )


def _vacuum(plain_url: str) -> None:
    """As after any bulk load: fresh statistics and visibility map, so the plans are those
    of a database in use rather than of one just loaded."""
    import psycopg

    with psycopg.connect(plain_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def web_auth_of(app: Litestar) -> WebAuth:
    """The app's web sign-in, made by the first page request."""
    return cast("WebAuth", app.state[WEB_AUTH_KEY])


async def _some_customer(app: Litestar, cookie: str) -> str:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        listing = await client.get("/customers", cookies={"lana_session": cookie})
    found = re.search(r'href="/customers/([0-9a-f-]{36})"', listing.text)
    assert found, "no customer listed"
    return found.group(1)


async def main(args: argparse.Namespace) -> None:
    if args.database in ("both", "sqlite"):
        with tempfile.TemporaryDirectory(prefix="lana_bench_") as directory:
            await bench("SQLite", f"sqlite+aiosqlite:///{Path(directory) / 'lana.db'}", None, args)
    if args.database == "sqlite":
        return
    with temporary_postgres() as urls:
        if urls is not None:
            await bench("PostgreSQL", urls[0], urls[1], args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--search", default="hopper", help="what the search page looks for")
    parser.add_argument("--database", choices=("both", "sqlite", "postgres"), default="both")
    loop_runner()(main(parser.parse_args()))
