"""The retry schedule of webhook deliveries: random waits under a doubling, capped ceiling,
and no retry later than a day after the first attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lana_core.domain.webhook_retries import Draw, RetrySchedule

SCHEDULE = RetrySchedule()
START = datetime(2026, 1, 1, tzinfo=UTC)
_draws = st.floats(min_value=0, max_value=1, exclude_max=True)
_retries = st.integers(min_value=1, max_value=10_000)


def constant(value: float) -> Draw:
    return lambda: value


@given(_retries, _draws)
def test_a_wait_lies_between_the_floor_and_its_ceiling(retry: int, draw: float) -> None:
    assert SCHEDULE.floor <= SCHEDULE.delay(retry, lambda: draw) <= SCHEDULE.ceiling(retry)


@given(_retries)
def test_ceilings_double_until_the_cap(retry: int) -> None:
    assert SCHEDULE.ceiling(retry + 1) == min(SCHEDULE.cap, 2 * SCHEDULE.ceiling(retry))


@given(st.lists(_draws, min_size=1, max_size=400))
def test_every_attempt_falls_within_a_day_of_the_first_and_the_delivery_then_dies(
    draws: list[float],
) -> None:
    at, retry = START, 1
    for draw in draws:
        due = SCHEDULE.next_attempt_at(first_attempt_at=START, failed_at=at, retry=retry, draw=constant(draw))
        if due is None:
            assert at + SCHEDULE.delay(retry, constant(draw)) > START + timedelta(hours=24)
            return
        assert at < due <= START + timedelta(hours=24)
        at, retry = due, retry + 1
    # Without dying, the draws ran out first: at one wait of at least the floor each,
    # a day holds this many retries at most.
    assert retry <= timedelta(hours=24) / SCHEDULE.floor


def test_waits_spread_over_the_whole_ceiling() -> None:
    assert SCHEDULE.delay(12, lambda: 0.0) == timedelta(seconds=1)
    assert SCHEDULE.delay(12, lambda: 0.5) == timedelta(minutes=30)
    assert SCHEDULE.delay(12, lambda: 0.999999) > timedelta(minutes=59)


def test_the_worst_case_schedule_is_the_documented_one() -> None:
    ceilings = [(retry, ceiling.total_seconds()) for retry, ceiling, _ in SCHEDULE.ceilings()]
    assert ceilings[:11] == [
        (1, 5), (2, 10), (3, 20), (4, 40), (5, 80), (6, 160), (7, 320), (8, 640), (9, 1280),
        (10, 2560), (11, 3600),
    ]  # fmt: skip
    assert {ceiling for _, ceiling in ceilings[11:]} == {3600}
    assert len(ceilings) == 32


@pytest.mark.parametrize(
    "settings",
    [{"first": timedelta(0)}, {"cap": timedelta(seconds=1)}, {"floor": timedelta(minutes=1)},
     {"give_up_after": timedelta(0)}],
)  # fmt: skip
def test_a_schedule_that_could_not_work_is_refused(settings: dict[str, timedelta]) -> None:
    with pytest.raises(ValueError, match=r"must|cannot"):
        RetrySchedule(**settings)  # type: ignore[arg-type]
