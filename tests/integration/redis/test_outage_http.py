"""A Redis outage costs the API speed, never availability or security: with Redis frozen
(SIGSTOP) and then killed under traffic, every request is answered without a 5xx, a user
deactivated meanwhile is refused on its next request, and readiness says "degraded"."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lana_adapters.settings import Settings
from lana_http import create_app
from tests.e2e.api import PREFIX, Api
from tests.e2e.conftest import http_settings, make_container
from tests.integration.redis.servers import PrivateRedis, unique_prefix
from tests.integration.sql.databases import sqlite_database

pytestmark = pytest.mark.redis

CALLERS = 6


class Traffic:
    """Callers reading, writing, signing in and refreshing until stopped; counts every status."""

    def __init__(self, admin: Api, agent: Api) -> None:
        self.admin = admin
        self.agent = agent
        self.statuses: Counter[int] = Counter()
        self.slowest = 0.0
        self._stop = asyncio.Event()

    async def run(self) -> None:
        await asyncio.gather(*(self._caller(index) for index in range(CALLERS)))

    def stop(self) -> None:
        self._stop.set()

    async def _caller(self, index: int) -> None:
        step = 0
        while not self._stop.is_set():
            step += 1
            started = time.perf_counter()
            response = await self._request(index, step)
            self.slowest = max(self.slowest, time.perf_counter() - started)
            self.statuses[response] += 1
            await asyncio.sleep(0.01)

    async def _request(self, index: int, step: int) -> int:
        admin, client = self.admin, self.admin.client
        if index == 0 and step % 5 == 0:
            body = {"tenant": admin.slug, "email": admin.email, "password": "correct horse battery staple"}
            return (await client.post(f"{PREFIX}/auth/login", json=body)).status_code
        if index == 1 and step % 5 == 0:
            signed_in = await Api.login(client, admin.slug, admin.email)
            refresh = {"refresh_token": signed_in.tokens["refresh_token"]}
            return (await client.post(f"{PREFIX}/auth/refresh", json=refresh)).status_code
        if index == 2:
            return (await admin.post("/customers", json={"name": f"Written {step}"})).status_code
        return (await admin.get("/customers", params={"limit": 5})).status_code


@pytest.fixture
async def client(
    private_redis: PrivateRedis, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    monkeypatch.setenv("LANA_REDIS_KEY_PREFIX", unique_prefix())
    settings = Settings.from_env(
        {**os.environ, "LANA_DATABASE_URL": sqlite_database(tmp_path), "LANA_REDIS_URL": private_redis.url}
    )
    async with AsyncTestClient(create_app(make_container(settings), http_settings())) as client:
        yield client


async def _ready(client: AsyncTestClient[Litestar]) -> tuple[int, str]:
    response = await client.get("/health/ready")
    return response.status_code, response.json().get("status", "")


@pytest.mark.slow
async def test_redis_frozen_then_killed_under_traffic_costs_no_request_and_no_revocation(
    client: AsyncTestClient[Litestar], private_redis: PrivateRedis
) -> None:
    admin = await Api.signup(client)
    agent = await admin.as_role("agent")
    leaver = await admin.as_role("agent")
    assert (await leaver.get("/customers")).status_code == 200  # its answer is in Redis now
    leaver_id = (await leaver.me())["user_id"]
    traffic = Traffic(admin, agent)
    running = asyncio.create_task(traffic.run())
    await asyncio.sleep(1.0)

    private_redis.pause()
    await asyncio.sleep(1.5)
    assert await _ready(client) == (200, "degraded")
    assert (await admin.post(f"/users/{leaver_id}/deactivate")).status_code == 200
    assert (await leaver.get("/customers")).status_code == 401
    await asyncio.sleep(1.5)
    private_redis.resume()
    await asyncio.sleep(2.0)
    # Back: the invalidation Redis missed was replayed before it was read again.
    assert (await leaver.get("/customers")).status_code == 401
    assert await _ready(client) == (200, "ready")

    private_redis.stop()
    await asyncio.sleep(2.0)
    assert await _ready(client) == (200, "degraded")
    assert (await leaver.get("/customers")).status_code == 401
    private_redis.start()
    await asyncio.sleep(2.0)
    traffic.stop()
    await running

    assert (await leaver.get("/customers")).status_code == 401
    assert await _ready(client) == (200, "ready")
    failures = {status: count for status, count in traffic.statuses.items() if status >= 500}
    assert failures == {}, traffic.statuses
    assert set(traffic.statuses) <= {200, 201}, traffic.statuses
    assert sum(traffic.statuses.values()) > 100
