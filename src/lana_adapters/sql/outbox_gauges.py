"""Outbox gauges read from the SQL store at scrape time: pending rows, lag and dead rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql.driver import transaction_as
from lana_adapters.sql.tables import outbox
from lana_adapters.telemetry.instruments import LanaMetrics, seconds_since

_BY_STATE = (
    select(outbox.c.state, func.count(), func.min(outbox.c.occurred_at))
    .where(outbox.c.state.in_(("pending", "dead")))
    .group_by(outbox.c.state)
)


def outbox_collector(
    engine: AsyncEngine, metrics: LanaMetrics, relay_role: str | None
) -> Callable[[], Awaitable[None]]:
    """A collector setting the outbox gauges from ``engine``'s outbox (every tenant's rows),
    read as ``relay_role`` (``LANA_DATABASE_RELAY_ROLE``) on PostgreSQL."""
    role = relay_role if engine.dialect.name == "postgresql" else None

    async def collect() -> None:
        # The relay's role sees every tenant's rows through row-level security.
        async with engine.connect() as conn, transaction_as(conn, role):
            rows = {state: (count, oldest) for state, count, oldest in (await conn.execute(_BY_STATE)).all()}
        pending, oldest = rows.get("pending", (0, None))
        metrics.outbox_pending.set(pending)
        metrics.outbox_lag.set(seconds_since(oldest))
        metrics.outbox_dead.set(rows.get("dead", (0, None))[0])

    return collect


@contextmanager
def outbox_gauges(engine: AsyncEngine, metrics: LanaMetrics | None, relay_role: str | None) -> Iterator[None]:
    """While open, each scrape of ``metrics`` reads the outbox gauges from ``engine``."""
    if metrics is None:
        yield
        return
    collector = outbox_collector(engine, metrics, relay_role)
    metrics.registry.add_collector(collector)
    try:
        yield
    finally:
        metrics.registry.remove_collector(collector)
