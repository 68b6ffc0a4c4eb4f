"""What each worker shows on its endpoint: the relay its outbox backlog and dead rows, the
consumer its deliveries, retries and dead-letter queue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from lana_adapters.telemetry.broker import consumer_collector, dlq_collector
from lana_adapters.telemetry.exposition import EndpointOptions, Heartbeat, serving
from lana_adapters.telemetry.instruments import LanaMetrics
from lana_adapters.telemetry.metrics import Collector

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from lana_adapters.messaging.settings import MessagingSettings
    from lana_adapters.messaging.worker import WorkerStats

Collectors = Callable[[LanaMetrics], Sequence[Collector]]


@asynccontextmanager
async def relay_endpoint(
    options: EndpointOptions | None,
    heartbeat: Heartbeat,
    engine: AsyncEngine | None,
    relay_role: str | None = None,
) -> AsyncIterator[None]:
    """While open, the relay's endpoint serves the outbox gauges read from ``engine`` as
    ``relay_role`` (none without an engine: an in-process store); nothing is served when
    ``options`` is None."""

    def collectors(metrics: LanaMetrics) -> list[Collector]:
        if engine is None:
            return []
        from lana_adapters.sql.outbox_gauges import outbox_collector  # SQL only where an engine exists

        return [outbox_collector(engine, metrics, relay_role)]

    async with _endpoint(options, heartbeat, collectors):
        yield


@asynccontextmanager
async def consumer_endpoint(
    options: EndpointOptions | None, heartbeat: Heartbeat, settings: MessagingSettings, stats: WorkerStats
) -> AsyncIterator[None]:
    """While open, the consumer's endpoint serves its delivery and retry counters and the depth
    of its dead-letter queue; nothing is served when ``options`` is None."""

    def collectors(metrics: LanaMetrics) -> list[Collector]:
        return [consumer_collector(stats, metrics), dlq_collector(settings, metrics)]

    async with _endpoint(options, heartbeat, collectors):
        yield


@asynccontextmanager
async def _endpoint(
    options: EndpointOptions | None, heartbeat: Heartbeat, collectors: Collectors
) -> AsyncIterator[None]:
    if options is None:
        yield
        return
    metrics = LanaMetrics()
    for collector in collectors(metrics):
        metrics.registry.add_collector(collector)
    async with serving(metrics.registry, heartbeat, options):
        yield
