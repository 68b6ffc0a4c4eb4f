"""The metrics of one process on prometheus_client, in the Prometheus text format (0.0.4).

prometheus_client keeps the counters, gauges and histograms (thread-safe: webhook calls
count from worker threads) and renders them. What it has no notion of lives here: async
collectors that refresh gauges from a database or a broker right before each scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Metric, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

log = logging.getLogger(__name__)
# The exposition format's media type; the full Content-Type adds the charset once.
MEDIA_TYPE = "text/plain; version=0.0.4"
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
Collector = Callable[[], Awaitable[None]]

__all__ = ["CONTENT_TYPE", "MEDIA_TYPE", "Collector", "Counter", "Gauge", "Histogram", "Registry"]


class Registry:
    """The metrics of one process (a prometheus_client registry of their own, so several
    can live in one process) and the collectors each scrape runs first."""

    def __init__(self) -> None:
        self.prometheus = CollectorRegistry()
        self._collectors: list[Collector] = []

    def counter(self, name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
        """A counter exposed as ``name`` (which ends in ``_total``)."""
        return Counter(name, doc, labels, registry=self.prometheus)

    def gauge(self, name: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(name, doc, labels, registry=self.prometheus)

    def histogram(self, name: str, doc: str, labels: Sequence[str], buckets: Sequence[float]) -> Histogram:
        return Histogram(name, doc, labels, registry=self.prometheus, buckets=buckets)

    def add_collector(self, collector: Collector) -> None:
        """Run ``collector`` before each render (it sets gauges from a database or broker)."""
        self._collectors.append(collector)

    @property
    def collectors(self) -> tuple[Collector, ...]:
        return tuple(self._collectors)

    def remove_collector(self, collector: Collector) -> None:
        if collector in self._collectors:
            self._collectors.remove(collector)

    async def render(self) -> str:
        """Every metric in the text exposition format; a failing collector leaves its gauges as they were."""
        for collector in self._collectors:
            try:
                await collector()
            except Exception as error:  # a scrape must still answer when a dependency does not
                log.warning("metrics collector failed: %r", error)
        return generate_latest(_WithoutCreated(self.prometheus)).decode()


class _WithoutCreated:
    """The registry's metrics less the ``*_created`` series prometheus_client adds to each
    counter and histogram: a second series per child that no dashboard or alert reads."""

    __slots__ = ("_registry",)

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        for metric in self._registry.collect():
            metric.samples = [s for s in metric.samples if not s.name.endswith("_created")]
            yield metric
