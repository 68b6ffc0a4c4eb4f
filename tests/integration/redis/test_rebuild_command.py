"""``lana analytics rebuild-counters``: a tenant's counters end up equal to its analytics store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner

from lana_adapters.redis import RedisSettings, connect
from lana_adapters.redis.counters import LiveCounters
from lana_adapters.sql import SqlSettings, SqlUnitOfWorkFactory, create_engine_from
from lana_core.domain.analytics import DayActivity
from lana_core.usecases._activity import day_activity_in
from lana_http.cli import cli
from tests.cli.test_commands import _env

pytestmark = pytest.mark.redis

REBUILD = ["analytics", "rebuild-counters", "--tenant", "demo", "--admin-email", "admin@demo.example.com"]


async def both_views(database: Path, settings: RedisSettings, day_offsets: range) -> list[tuple[object, ...]]:
    """Per day: what the store counts and what the counters hold, for the demo tenant."""
    engine = create_engine_from(SqlSettings(url=f"sqlite+aiosqlite:///{database}"))
    client = connect(settings)
    counters = LiveCounters(client, settings)
    uow = SqlUnitOfWorkFactory(engine)
    try:
        async with uow(UUID(int=0)) as unit:
            tenant = await unit.tenants.get_by_slug("demo")
        assert tenant is not None
        today = datetime.now(UTC).date()
        found: list[tuple[object, ...]] = []
        for offset in day_offsets:
            day = today - timedelta(days=offset)
            async with uow(tenant.id) as unit:
                stored: DayActivity = await day_activity_in(unit.analytics, day, 10_000)
            counted = await counters.activity(tenant.id, day)
            found.append((stored.total, dict(stored.per_name), counted))
        return found
    finally:
        await client.aclose()
        await engine.dispose()


def test_rebuild_makes_the_counters_equal_to_the_store(
    tmp_path: Path, redis_url: str, redis_settings: RedisSettings
) -> None:
    database = tmp_path / "lana.db"
    runner = CliRunner()
    # The demo data goes in without Redis: no counter knows about it yet.
    assert runner.invoke(cli, ["demo", "--customers", "5"], env=_env(database)).exit_code == 0
    # A week: the demo's product events fall mostly on working days.
    days = range(1, 8)
    assert all(counted is None for *_, counted in asyncio.run(both_views(database, redis_settings, days)))

    redis_env = {"LANA_REDIS_URL": redis_url, "LANA_REDIS_KEY_PREFIX": redis_settings.key_prefix}
    result = runner.invoke(cli, [*REBUILD, "--days", "10"], env=_env(database, **redis_env))
    assert result.exit_code == 0, result.output

    views = asyncio.run(both_views(database, redis_settings, days))
    assert any(total for total, *_ in views)
    for total, names, counted in views:
        assert isinstance(counted, DayActivity)
        assert (counted.total, dict(counted.per_name)) == (total, names)


def test_rebuild_without_redis_says_what_is_missing(tmp_path: Path, redis_url: str) -> None:
    result = CliRunner().invoke(cli, REBUILD, env=_env(tmp_path / "lana.db"))
    assert result.exit_code == 1
    assert "LANA_REDIS_URL" in result.output
