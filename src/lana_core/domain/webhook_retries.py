"""When a failed webhook delivery is tried again: exponential backoff with full jitter, capped,
for up to a day.

Retry ``n`` (the first retry is 1) waits a random time between ``floor`` and its ceiling
``min(cap, first * 2 ** (n - 1))``. Full jitter spreads the retries of many deliveries that
failed together (a receiver that was down) over the whole window instead of sending them back
in one burst; the floor keeps a retry from going out at the very instant of the failure. A
retry that would fall later than ``give_up_after`` past the delivery's first attempt is not
scheduled: the delivery is dead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from attrs import field, frozen

# A draw from [0, 1), e.g. random.random; a parameter so that tests and replays are exact.
Draw = Callable[[], float]


@frozen(kw_only=True)
class RetrySchedule:
    """The backoff of one subscription's deliveries (the same for all of them today)."""

    first: timedelta = field(default=timedelta(seconds=5))
    cap: timedelta = field(default=timedelta(hours=1))
    floor: timedelta = field(default=timedelta(seconds=1))
    give_up_after: timedelta = field(default=timedelta(hours=24))

    @first.validator
    def _first_positive(self, _attribute: object, value: timedelta) -> None:
        if value <= timedelta(0):
            raise ValueError("the first retry's ceiling must be positive")

    @cap.validator
    def _cap_above_first(self, _attribute: object, value: timedelta) -> None:
        if value < self.first:
            raise ValueError("the cap cannot be below the first retry's ceiling")

    @floor.validator
    def _floor_within(self, _attribute: object, value: timedelta) -> None:
        if not timedelta(0) < value <= self.first:
            raise ValueError("the floor must be positive and at most the first retry's ceiling")

    @give_up_after.validator
    def _window_positive(self, _attribute: object, value: timedelta) -> None:
        if value <= timedelta(0):
            raise ValueError("deliveries must be retried for a positive time")

    def ceiling(self, retry: int) -> timedelta:
        """The longest wait before retry ``retry`` (1 for the first retry)."""
        if retry < 1:
            raise ValueError(f"retries count from 1, got {retry}")
        # Past 2**40 the doubling is far beyond any cap; stopping there keeps the number small.
        doubled = self.first * (1 << min(retry - 1, 40))
        return min(self.cap, doubled)

    def delay(self, retry: int, draw: Draw) -> timedelta:
        """The wait before retry ``retry``: uniformly random up to its ceiling, at least the floor."""
        return max(self.floor, self.ceiling(retry) * min(max(draw(), 0.0), 1.0))

    def next_attempt_at(
        self, *, first_attempt_at: datetime, failed_at: datetime, retry: int, draw: Draw
    ) -> datetime | None:
        """When retry ``retry`` goes out after the attempt that failed at ``failed_at``, or None
        when it would fall past the window: the delivery is then dead."""
        due = failed_at + self.delay(retry, draw)
        return due if due <= first_attempt_at + self.give_up_after else None

    def ceilings(self) -> Iterator[tuple[int, timedelta, timedelta]]:
        """(retry, its ceiling, the sum of ceilings so far) while that sum is in the window:
        the schedule's worst case, as docs/events.md tables it."""
        retry, elapsed = 1, timedelta(0)
        while elapsed + self.ceiling(retry) <= self.give_up_after:
            elapsed += self.ceiling(retry)
            yield retry, self.ceiling(retry), elapsed
            retry += 1
