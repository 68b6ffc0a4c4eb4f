"""When things happen in the sample tenant: at working hours, in the order they depend on.

Every moment is drawn inside a window and never moved: a step whose window holds no working
time is left out rather than pushed to the window's edge, so no record is stamped at a time
nobody would have worked (or after the demo's "now").
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from itertools import accumulate

from lana_core.memory import ManualClock

# Working hours in UTC, Monday to Friday.
DAY_STARTS, DAY_ENDS = time(8), time(18)
_MINUTE = timedelta(minutes=1)


class WorkingTime:
    """The working minutes inside ``[start, end)``, to draw moments from uniformly."""

    __slots__ = ("_ends", "_spans")

    def __init__(self, start: datetime, end: datetime) -> None:
        self._spans = _working_spans(start, end)
        self._ends = list(accumulate(int((until - since) / _MINUTE) for since, until in self._spans))

    def draw(self, rng: random.Random) -> datetime | None:
        """A whole minute at working hours, or None when the window holds none."""
        if not self._ends:
            return None
        offset = rng.randrange(self._ends[-1])
        index = bisect_right(self._ends, offset)
        before = self._ends[index - 1] if index else 0
        return self._spans[index][0] + (offset - before) * _MINUTE


def working_moment(rng: random.Random, start: datetime, end: datetime) -> datetime | None:
    """A whole minute at working hours in ``[start, end)``, uniform over the working time in
    it; None when the window holds no working minute."""
    return WorkingTime(start, end).draw(rng)


def _working_spans(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The working intervals inside ``[start, end)``, cut to whole minutes, at least one long."""
    first, last = _ceil_minute(start), _floor_minute(end)
    spans = []
    day = first.date()
    while day <= last.date():
        if day.weekday() < 5:
            since = max(first, datetime.combine(day, DAY_STARTS, tzinfo=UTC))
            until = min(last, datetime.combine(day, DAY_ENDS, tzinfo=UTC))
            if until - since >= _MINUTE:
                spans.append((since, until))
        day += timedelta(days=1)
    return spans


def _ceil_minute(moment: datetime) -> datetime:
    floor = _floor_minute(moment)
    return floor if floor == moment else floor + _MINUTE


def _floor_minute(moment: datetime) -> datetime:
    utc = moment.astimezone(UTC)
    return utc.replace(second=0, microsecond=0)


def stage_moments(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """Up to ``count`` increasing working moments after ``start``, the i-th in the i-th of
    ``count`` equal slices of ``[start, end)``; fewer when a slice holds no working time."""
    moments: list[datetime] = []
    since = start + _MINUTE
    for step in range(1, count + 1):
        moment = working_moment(rng, since, start + (end - start) * step / count)
        if moment is None:
            break
        moments.append(moment)
        since = moment + _MINUTE
    return moments


def fraction_elapsed(start: datetime, end: datetime, now: datetime) -> float:
    """How far ``now`` is from ``start`` to ``end``, 0 to 1 (1 past the end)."""
    span = (end - start).total_seconds()
    return 1.0 if span <= 0 else min(1.0, max(0.0, (now - start).total_seconds() / span))


Action = Callable[[], Awaitable[None]]


class Timeline:
    """Steps of one customer's history, each at its moment, run in time order with the clock
    set to the step's moment (so every record, event and audit entry carries it)."""

    __slots__ = ("_steps",)

    def __init__(self) -> None:
        self._steps: list[tuple[datetime, int, Action]] = []

    def at(self, moment: datetime, action: Action) -> None:
        # The sequence number keeps steps at the same minute in the order they were planned.
        self._steps.append((moment, len(self._steps), action))

    async def run(self, clock: ManualClock) -> None:
        for moment, _, action in sorted(self._steps, key=lambda step: (step[0], step[1])):
            clock.set(moment)
            await action()
