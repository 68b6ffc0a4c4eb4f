"""The served app with Redis configured: batch ingestion over HTTP lands in the live counters,
and the dashboard shows it at once while its CRM figures stay cached."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lana_adapters.container import Container
from lana_adapters.redis import RedisSettings, connect
from lana_adapters.redis.counters import LiveCounters
from lana_adapters.settings import Settings
from lana_http import create_app
from tests.e2e.api import Api
from tests.e2e.conftest import http_settings
from tests.integration.sql.databases import sqlite_database
from tests.support import FAST_HASHER

pytestmark = pytest.mark.redis


@pytest.fixture
async def api(
    tmp_path: Path, redis_url: str, redis_settings: RedisSettings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Api]:
    monkeypatch.setenv("LANA_REDIS_KEY_PREFIX", redis_settings.key_prefix)
    container = Container()
    settings = Settings.from_env(
        {**os.environ, "LANA_DATABASE_URL": sqlite_database(tmp_path), "LANA_REDIS_URL": redis_url}
    )
    container.settings.override(providers.Object(settings))
    container.hasher.override(providers.Object(FAST_HASHER))
    app: Litestar = create_app(container, http_settings())
    async with AsyncTestClient(app) as client:
        yield await Api.signup(client)


async def test_an_http_batch_is_counted_and_shown_on_the_cached_dashboard_at_once(
    api: Api, redis_settings: RedisSettings
) -> None:
    before = (await api.get("/analytics/dashboard")).json()
    batch = {"events": [{"name": "viewed"}, {"name": "viewed"}, {"name": "bought", "properties": {"n": 1}}]}
    assert (await api.post("/analytics/events/batch", json=batch)).status_code == 201
    after = (await api.get("/analytics/dashboard")).json()

    assert after["generated_at"] == before["generated_at"]
    assert after["events_today"] == before["events_today"] + 3
    top = {item["name"]: item["count"] for item in after["top_events_today"]}
    assert (top["viewed"], top["bought"]) == (2, 1)
    assert sum(bucket["count"] for bucket in after["events_per_hour_today"]) == after["events_today"]

    client = connect(redis_settings)
    try:
        # One tenant under this test's prefix: its key names the tenant.
        pattern = f"{redis_settings.key_prefix}lana:count:*:events:*"
        keys = [key.decode() async for key in client.scan_iter(match=pattern)]
        assert len(keys) == 1
        tenant = UUID(keys[0].split(":")[-3])
        counted = await LiveCounters(client, redis_settings).activity(tenant, _today(after))
    finally:
        await client.aclose()
    assert counted is not None
    assert (counted.per_name["viewed"], counted.per_name["bought"]) == (2, 1)
    assert counted.total == after["events_today"]


def _today(board: dict[str, Any]) -> date:
    return datetime.fromisoformat(board["events_per_hour_today"][0]["start"]).date()
