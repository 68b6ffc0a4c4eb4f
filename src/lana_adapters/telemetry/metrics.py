"""A small metrics registry and its Prometheus text exposition (format 0.0.4).

Counters, gauges and histograms with labels; collectors refresh gauges (outbox lag,
queue depth) right before a scrape. Thread-safe: webhook calls count from worker threads.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

log = logging.getLogger(__name__)
# The exposition format's media type; the full Content-Type adds the charset once.
MEDIA_TYPE = "text/plain; version=0.0.4"
CONTENT_TYPE = f"{MEDIA_TYPE}; charset=utf-8"
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
Labels = tuple[str, ...]
Collector = Callable[[], Awaitable[None]]
M = TypeVar("M", bound="_Metric")


class _Metric:
    kind = ""

    def __init__(self, name: str, doc: str, labels: Sequence[str], lock: threading.Lock) -> None:
        self.name, self.doc, self.labels = name, doc, tuple(labels)
        self._lock = lock

    def _key(self, values: dict[str, str]) -> Labels:
        # Counted on every request: compare sizes, then let a missing name raise, rather
        # than build two sets each time.
        try:
            if len(values) == len(self.labels):
                return tuple([str(values[name]) for name in self.labels])
        except KeyError:
            pass
        raise ValueError(f"{self.name} takes labels {self.labels}, got {tuple(values)}")

    def _series(self, key: Labels, suffix: str = "", extra: str = "") -> str:
        pairs = [f'{n}="{_escape(v)}"' for n, v in zip(self.labels, key, strict=True)]
        if extra:
            pairs.append(extra)
        return f"{self.name}{suffix}{{{','.join(pairs)}}}" if pairs else f"{self.name}{suffix}"

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.doc}", f"# TYPE {self.name} {self.kind}"]

    def lines(self) -> list[str]:
        raise NotImplementedError


class Counter(_Metric):
    """A total that only goes up."""

    kind = "counter"

    def __init__(self, name: str, doc: str, labels: Sequence[str], lock: threading.Lock) -> None:
        super().__init__(name, doc, labels, lock)
        self._values: dict[Labels, float] = {}

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def set_total(self, total: float, **labels: str) -> None:
        """Mirror a total counted elsewhere (a worker's own statistics)."""
        key = self._key(labels)
        with self._lock:
            self._values[key] = total

    def value(self, **labels: str) -> float:
        return self._values.get(self._key(labels), 0.0)

    def lines(self) -> list[str]:
        return [f"{self._series(k)} {_number(v)}" for k, v in sorted(self._values.items())]


class Gauge(Counter):
    """A value that is set, not accumulated."""

    kind = "gauge"

    def set(self, value: float, **labels: str) -> None:
        self.set_total(value, **labels)


class Histogram(_Metric):
    """Observations counted into cumulative ``le`` buckets, with their sum and count."""

    kind = "histogram"

    def __init__(
        self, name: str, doc: str, labels: Sequence[str], lock: threading.Lock, buckets: Sequence[float]
    ) -> None:
        super().__init__(name, doc, labels, lock)
        self.buckets = tuple(sorted(buckets))
        self._counts: dict[Labels, list[int]] = {}
        self._sums: dict[Labels, float] = {}

    def observe(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            counts = self._counts.setdefault(key, [0] * (len(self.buckets) + 1))
            counts[bisect.bisect_left(self.buckets, value)] += 1  # the first bound >= value
            self._sums[key] = self._sums.get(key, 0.0) + value

    def count(self, **labels: str) -> int:
        return sum(self._counts.get(self._key(labels), ()))

    def lines(self) -> list[str]:
        out: list[str] = []
        for key, counts in sorted(self._counts.items()):
            running = 0
            for bound, count in zip((*self.buckets, math.inf), counts, strict=True):
                running += count
                le = 'le="' + _bound(bound) + '"'
                out.append(f"{self._series(key, '_bucket', le)} {running}")
            out.append(f"{self._series(key, '_sum')} {_number(self._sums[key])}")
            out.append(f"{self._series(key, '_count')} {running}")
        return out


class Registry:
    """The metrics of one process, rendered for Prometheus by :meth:`render`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._metrics: dict[str, _Metric] = {}
        self._collectors: list[Collector] = []

    def counter(self, name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
        return self._add(Counter(name, doc, labels, self._lock))

    def gauge(self, name: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
        return self._add(Gauge(name, doc, labels, self._lock))

    def histogram(
        self, name: str, doc: str, labels: Sequence[str] = (), buckets: Sequence[float] = DEFAULT_BUCKETS
    ) -> Histogram:
        return self._add(Histogram(name, doc, labels, self._lock, buckets))

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
        lines: list[str] = []
        for metric in self._metrics.values():
            lines += metric.header() + metric.lines()
        return "\n".join(lines) + "\n"

    def _add(self, metric: M) -> M:
        if metric.name in self._metrics:
            raise ValueError(f"metric {metric.name} is registered twice")
        self._metrics[metric.name] = metric
        return metric


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _bound(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else _number(bound)
