"""An outage of Redis writes a line per attempt on it, not one per request it failed."""

from __future__ import annotations

import logging

import pytest

from lana_adapters.redis.connection import Circuit, Guard, RedisDown
from lana_adapters.redis.losses import LossLog

MESSAGE = "counters missed %d events"


async def _refused() -> None:
    raise ConnectionRefusedError("nothing listens")


async def _answered() -> str:
    return "OK"


async def _count_through(guard: Guard, losses: LossLog, events: int) -> None:
    """What a fail-open adapter does: try Redis, log what it lost or that it is back."""
    try:
        await guard.run(_refused if events else _answered)
    except RedisDown as error:
        losses.lost(events, error)
    else:
        losses.recovered()


async def test_calls_the_open_circuit_refuses_join_the_next_line(caplog: pytest.LogCaptureFixture) -> None:
    clock = [0.0]
    guard = Guard(1.0, Circuit(5.0, monotonic=lambda: clock[0]))
    losses = LossLog(logging.getLogger("lana.test.losses"), MESSAGE)
    caplog.set_level(logging.WARNING, logger="lana.test.losses")

    await _count_through(guard, losses, 2)  # Redis tried: one line
    for _ in range(100):  # left alone: counted only
        await _count_through(guard, losses, 3)
    lines_during_the_pause = [r.getMessage() for r in caplog.records if r.name == "lana.test.losses"]
    clock[0] = 6.0
    await _count_through(guard, losses, 1)  # the probe fails: one line with all since

    lines = [r.getMessage() for r in caplog.records if r.name == "lana.test.losses"]
    assert lines_during_the_pause == ["counters missed 2 events: ConnectionRefusedError: nothing listens"]
    assert lines[1:] == ["counters missed 301 events: ConnectionRefusedError: nothing listens"]


async def test_losses_still_uncounted_when_redis_answers_are_reported_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    losses = LossLog(logging.getLogger("lana.test.losses"), MESSAGE)
    caplog.set_level(logging.WARNING, logger="lana.test.losses")
    for _ in range(7):
        losses.lost(1, RedisDown("circuit open", left_alone=True))

    losses.recovered()
    losses.recovered()

    lines = [r.getMessage() for r in caplog.records if r.name == "lana.test.losses"]
    assert lines == ["counters missed 7 events while redis was left alone"]
