"""The metrics registry: what a Prometheus scrape reads for counters and histograms."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lana_adapters.telemetry.metrics import Registry

BUCKETS = (0.005, 0.01, 0.1, 1.0)
BOUND_LABELS = {0.005: "0.005", 0.01: "0.01", 0.1: "0.1", 1.0: "1"}  # as Prometheus reads them


def _series(text: str, name: str) -> dict[str, float]:
    found = re.findall(rf'^{name}_bucket{{route="r",le="([^"]+)"}} (\S+)$', text, re.MULTILINE)
    return {bound: float(value) for bound, value in found}


@given(st.lists(st.sampled_from([*BUCKETS, 0.0, 0.0051, 0.5, 7.0]) | st.floats(0, 20), max_size=30))
async def test_each_bucket_counts_the_observations_at_or_below_its_bound(values: list[float]) -> None:
    registry = Registry()
    latency = registry.histogram("lat", "latency", ["route"], buckets=BUCKETS)
    for value in values:
        latency.observe(value, route="r")

    buckets = _series(await registry.render(), "lat")

    if values:
        for bound in BUCKETS:
            assert buckets[BOUND_LABELS[bound]] == sum(v <= bound for v in values)
        assert buckets["+Inf"] == len(values)
        assert latency.count(route="r") == len(values)


def test_labels_other_than_the_declared_ones_are_refused() -> None:
    requests = Registry().counter("requests", "requests", ["method", "route"])
    requests.inc(method="GET", route="/a")

    missing, renamed, extra = {"method": "GET"}, {"method": "GET", "path": "/a"}, {"route": "/a", "x": "1"}
    for wrong in (missing, renamed, {**missing, **extra}):
        with pytest.raises(ValueError, match="takes labels"):
            requests.inc(**wrong)
    assert requests.value(method="GET", route="/a") == 1
