"""Long-running workers' plumbing: waiting that a stop interrupts, exponential backoff, signals."""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
from collections.abc import Callable


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Wait ``seconds`` or until ``stop`` is set; True when stopped."""
    if stop.is_set():
        return True
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=max(0.0, seconds))
    return stop.is_set()


class Backoff:
    """Exponential backoff with full jitter: the n-th wait is uniform in [0, min(maximum, initial * 2**n)].

    Jitter spreads the reconnects of many workers after a shared outage.
    """

    __slots__ = ("_attempt", "_initial", "_maximum", "_random")

    def __init__(self, initial: float = 0.2, maximum: float = 30.0, rng: random.Random | None = None) -> None:
        self._initial = initial
        self._maximum = maximum
        self._attempt = 0
        self._random = rng or random.Random()  # noqa: S311 (jitter, not security)

    def next_delay(self) -> float:
        ceiling = min(self._maximum, self._initial * 2**self._attempt)
        self._attempt += 1
        return self._initial / 2 + self._random.uniform(0, ceiling)

    def reset(self) -> None:
        self._attempt = 0

    @property
    def failures(self) -> int:
        return self._attempt


def stop_on_signals(stop: asyncio.Event) -> Callable[[], None]:
    """Set ``stop`` on SIGTERM or SIGINT (call inside the running loop); returns an undo function."""
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)

    def undo() -> None:
        for signum in installed:
            loop.remove_signal_handler(signum)

    return undo
