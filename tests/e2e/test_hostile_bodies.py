"""Hostile bodies on every route, without a token and with one: JSON nested thousands deep,
bytes that are not UTF-8, numbers no type holds, NUL and control characters, and bodies
sent as other media types. Each answer is a 4xx problem document, logged as one line with
no stack trace, and not one row of any table changes.

A body sent with a token is each route's valid body (``tests.e2e.routes``) with one part
made hostile, so it passes every check but the one it is aimed at. Routes that read no
body ignore one, so with a token only the routes that read a body are sent them. Without
a token, a route that needs one answers 401 before it reads the body, and logs nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text

from lana_adapters.sql.engine import create_sync_engine
from tests.e2e.api import PREFIX, Api
from tests.e2e.routes import Call, Ids, calls
from tests.e2e.test_errors import assert_problem
from tests.integration.sql.databases import ALL_TABLES
from tests.support import PASSWORD

JSON = "application/json"
HOLE = "__hostile__"
NOT_JSON = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None)


def public_calls(slug: str, email: str) -> dict[str, Call]:
    """The routes that read a body without a token, each with a valid body."""
    return {
        "login": Call("POST", "/auth/login", {"tenant": slug, "email": email, "password": PASSWORD}),
        "refreshTokens": Call("POST", "/auth/refresh", {"refresh_token": "not-a-token"}),
        "logout": Call("POST", "/auth/logout", {"refresh_token": "not-a-token"}),
        "createTenant": Call(
            "POST",
            "/tenants",
            {
                "slug": "hostile",
                "name": "Hostile Ltd",
                "admin_email": "admin@hostile.example.com",
                "admin_name": "Mallory",
                "admin_password": PASSWORD,
            },
        ),
    }


def with_hole(body: dict[str, Any], field: str, raw: bytes) -> bytes:
    """``body`` as JSON, the value of ``field`` replaced by the bytes ``raw``."""
    return json.dumps({**body, field: HOLE}).encode().replace(f'"{HOLE}"'.encode(), raw)


def hostile(body: Any) -> Iterator[tuple[str, bytes, str | None]]:
    """(what, body, content type) for each way ``body`` is made hostile."""
    sent = json.dumps(body).encode()
    yield "arrays 1,000 deep", b"[" * 1_000 + b"]" * 1_000, JSON
    yield "objects 5,000 deep", b'{"a":' * 5_000 + b"0" + b"}" * 5_000, JSON
    yield "UTF-16", json.dumps(body).encode("utf-16"), JSON
    yield "a byte order mark", b"\xef\xbb\xbf" + sent, JSON
    yield "a NUL byte", sent + b"\x00", JSON
    for media_type in NOT_JSON:
        yield f"sent as {media_type}", sent, media_type
    if not isinstance(body, dict):
        return
    yield "a NUL in a key", with_hole(body, "\u0000", b"1"), JSON
    for field, value in body.items():
        yield f"{field} nested 1,000 deep", with_hole(body, field, b"[" * 1_000 + b"]" * 1_000), JSON
        yield f"{field} as 1e999999", with_hole(body, field, b"1e999999"), JSON
        yield f"{field} as 5,000 digits", with_hole(body, field, b"9" * 5_000), JSON
        if isinstance(value, str):
            yield f"{field} not UTF-8", with_hole(body, field, b'"\xff\xfe\xc0\xaf"'), JSON
            yield f"{field} a lone surrogate", with_hole(body, field, b'"\\ud800"'), JSON
            yield f"{field} a raw control character", with_hole(body, field, b'"a\x00\x1fb"'), JSON


class Rows:
    """Counts the rows of every table, straight from the database."""

    def __init__(self, database_url: str) -> None:
        self._engine = create_sync_engine(database_url)

    def count(self) -> dict[str, int]:
        with self._engine.connect() as connection:
            return {
                table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ALL_TABLES
            }

    def close(self) -> None:
        self._engine.dispose()


@pytest.fixture
def rows(database_url: str) -> Iterator[Rows]:
    counter = Rows(database_url)
    yield counter
    counter.close()


async def records(admin: Api) -> Ids:
    customer = await admin.customer()
    project = await admin.project(customer["id"])
    task = await admin.task(project["id"])
    viewer = await admin.as_role("viewer")
    return Ids(
        customer=customer["id"],
        project=project["id"],
        task=task["id"],
        user=(await viewer.me())["user_id"],
        interaction=(await admin.interaction(customer["id"]))["id"],
    )


async def send(
    client: AsyncTestClient[Litestar], call: Call, body: bytes, media_type: str | None, token: str | None
) -> Any:
    headers = dict(call.headers or {})
    if media_type is not None:
        headers["Content-Type"] = media_type
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return await client.request(call.method, f"{PREFIX}{call.path}", content=body, headers=headers)


async def test_hostile_bodies_are_4xx_problems_that_change_nothing_and_log_one_line(
    api: Api, rows: Rows, caplog: pytest.LogCaptureFixture
) -> None:
    signed_in = calls(await records(api))
    public = public_calls(api.slug, api.email)
    token = api.tokens["access_token"]
    before = rows.count()
    caplog.set_level(logging.INFO)
    caplog.clear()
    routed, wrong = 0, []
    for operation, call, caller in [
        *((op, c, token) for op, c in signed_in.items() if c.json is not None),
        *((op, c, None) for op, c in signed_in.items()),
        *((op, c, None) for op, c in public.items()),
    ]:
        for what, body, media_type in hostile(call.json if call.json is not None else {"name": "x"}):
            response = await send(api.client, call, body, media_type, caller)
            routed += caller is not None or operation in public
            if not 400 <= response.status_code < 500 or not response.headers["content-type"].startswith(
                "application/problem+json"
            ):
                wrong.append(
                    f"{operation} {'with' if caller else 'without'} a token, {what}: {response.status_code}"
                )
    assert wrong == []
    assert rows.count() == before
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    # One access line for each request a route answered; none for a refused token.
    assert len([r for r in caplog.records if r.name == "lana.http"]) == routed


async def test_every_pooled_connection_still_serves_each_tenant_its_own_rows(api: Api) -> None:
    other = await Api.signup(api.client)
    mine, theirs = await api.customer(name="Mine"), await other.customer(name="Theirs")
    for _ in range(3):
        for path in ("/customers", "/tenant/settings"):
            await send(
                api.client,
                Call("PUT" if "settings" in path else "POST", path),
                b"[" * 2_000,
                JSON,
                api.tokens["access_token"],
            )
    for _ in range(10):
        assert [c["id"] for c in (await api.get("/customers")).json()["items"]] == [mine["id"]]
        assert [c["id"] for c in (await other.get("/customers")).json()["items"]] == [theirs["id"]]


@pytest.mark.parametrize("character", ["\u0000", "\u001f"])
async def test_control_characters_inside_text_fields_are_never_a_server_error(
    api: Api, rows: Rows, character: str
) -> None:
    signed_in = calls(await records(api))
    accepted = []
    for operation, call in signed_in.items():
        texts = [field for field, value in (call.json or {}).items() if isinstance(value, str)]
        for field in texts:
            before = rows.count()
            body = json.dumps({**call.json, field: f"a{character}b"}).encode()
            response = await send(api.client, call, body, JSON, api.tokens["access_token"])
            assert response.status_code < 500, f"{operation}.{field}: {response.text}"
            if response.status_code >= 400:
                assert_problem(response, response.status_code)
                assert rows.count() == before, f"{operation}.{field}"
            else:
                accepted.append(f"{operation}.{field}")
    if accepted:
        # The core refuses these (422) once texts may hold no control characters; until then
        # a database that stores them (SQLite; PostgreSQL refuses only NUL) keeps them.
        pytest.xfail(f"stored with a control character: {', '.join(accepted)}")
