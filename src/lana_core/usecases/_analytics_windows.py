"""Time windows of analytics reads: the buckets of a time series."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from lana_core.domain.analytics import Interval, TimeBucket


def bucket_start(moment: datetime, interval: Interval) -> datetime:
    """The start (UTC) of the bucket holding ``moment``."""
    hour = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if interval is Interval.HOUR:
        return hour
    day = hour.replace(hour=0)
    return day if interval is Interval.DAY else day - timedelta(days=day.weekday())


_STEPS = {
    Interval.HOUR: timedelta(hours=1),
    Interval.DAY: timedelta(days=1),
    Interval.WEEK: timedelta(weeks=1),
}


def filled_series(
    found: Sequence[TimeBucket], since: datetime, until: datetime, interval: Interval
) -> tuple[TimeBucket, ...]:
    """Every bucket from ``since`` to ``until``, zero where the store had none."""
    counts: dict[datetime, int] = {}
    start, step = bucket_start(since, interval), _STEPS[interval]
    while start < until:
        counts[start] = 0
        start += step
    for bucket in found:
        counts[bucket.start] = counts.get(bucket.start, 0) + bucket.count
    return tuple(TimeBucket(start, count) for start, count in sorted(counts.items()))
