"""Consumer and dead-letter gauges: the worker's counters and the DLQ depth read from the broker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.telemetry.instruments import LanaMetrics
from lana_adapters.telemetry.metrics import Collector, Counter

if TYPE_CHECKING:
    from lana_adapters.messaging.worker import WorkerStats


@contextmanager
def dead_letter_gauge(settings: MessagingSettings, metrics: LanaMetrics) -> Iterator[None]:
    """While open, scrapes read the DLQ depth from ``LANA_BROKER_URL`` (unless it is ``memory://``,
    whose queues live in another process)."""
    if settings.broker_url.startswith("memory://"):
        yield
        return
    collector = dlq_collector(settings, metrics)
    metrics.registry.add_collector(collector)
    try:
        yield
    finally:
        metrics.registry.remove_collector(collector)


def dlq_collector(settings: MessagingSettings, metrics: LanaMetrics) -> Collector:
    """Sets ``lana_consumer_dlq_messages`` from the consumer's dead-letter queue at each scrape."""

    from lana_adapters.messaging.health import dlq_size  # kombu: only where a broker is configured

    async def collect() -> None:
        metrics.dlq_size.set(await asyncio.to_thread(dlq_size, settings))

    return collect


def consumer_collector(stats: WorkerStats, metrics: LanaMetrics) -> Collector:
    """Mirrors a consumer running in this process into the delivery and retry counters: each
    scrape adds what the consumer counted since the one before."""
    counted: dict[str, int] = {}

    def add(counter: Counter, key: str, total: int) -> None:
        counter.inc(total - counted.get(key, 0))
        counted[key] = total

    async def collect() -> None:
        for outcome, total in (
            ("delivered", stats.delivered),
            ("duplicate", stats.duplicates),
            ("dead_lettered", stats.dead_lettered),
        ):
            add(metrics.deliveries.labels(outcome=outcome), outcome, total)
        add(metrics.retries, "retries", stats.retried)

    return collect
