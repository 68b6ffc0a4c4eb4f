"""What keeps a failing or costly model in check: options, a circuit breaker, a call budget,
and the map that lets concurrent requests for one customer share one generation."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar
from uuid import UUID

from attrs import field, frozen
from attrs.validators import ge, gt

from lana_core.domain.choices import Choice
from lana_core.ports import UnitOfWorkFactory

T = TypeVar("T")


def ignore_fallback(_reason: str) -> None:
    """The default fallback observer: nobody is told."""


@frozen(kw_only=True)
class InsightOptions:
    """How insight generation treats the model: deadline, breaker, batch parallelism, and who
    hears of each insight the fallback answered (``on_fallback`` gets its stable reason code,
    ``timeout``, ``rate_limited``, ``invalid_output``, ``circuit_open``…, never the detail;
    adapters count them)."""

    deadline_seconds: float = field(default=10.0, validator=gt(0))
    breaker_threshold: int = field(default=5, validator=ge(1))
    breaker_cooldown_seconds: float = field(default=60.0, validator=ge(0))
    batch_concurrency: int = field(default=4, validator=ge(1))
    on_fallback: Callable[[str], None] = field(default=ignore_fallback, eq=False, repr=False)


class BreakerState(Choice, field="state"):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Stops calling a failing model: ``threshold`` failures in a row open it for
    ``cooldown``; then exactly one probe may pass, whose outcome closes or reopens it.

    It holds no timer: every decision is taken at the ``now`` the caller passes.
    """

    __slots__ = ("_cooldown", "_failures", "_opened_at", "_state", "_threshold")

    def __init__(self, threshold: int, cooldown: timedelta) -> None:
        self._threshold = threshold
        self._cooldown = cooldown
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at: datetime | None = None

    @property
    def state(self) -> BreakerState:
        return self._state

    def allow(self, now: datetime) -> bool:
        """Whether a call may go to the model now; a True in OPEN state starts the probe."""
        if self._state is BreakerState.CLOSED:
            return True
        if self._state is BreakerState.HALF_OPEN:
            return False
        assert self._opened_at is not None
        if now < self._opened_at + self._cooldown:
            return False
        self._state = BreakerState.HALF_OPEN
        return True

    def record_success(self) -> None:
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = None

    def record_failure(self, now: datetime) -> None:
        self._failures += 1
        if self._state is BreakerState.HALF_OPEN or self._failures >= self._threshold:
            self._state = BreakerState.OPEN
            self._opened_at = now

    def release(self) -> None:
        """Forget an allowed call that ended without a verdict (it was cancelled), so a
        half-open breaker does not wait forever for its probe."""
        if self._state is BreakerState.HALF_OPEN:
            self._state = BreakerState.OPEN


def start_of_utc_day(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class CallBudget:
    """Each tenant's daily allowance of model calls.

    Calls already answered are counted in the store (today's model-sourced insights); calls
    still running are counted here until their insight is stored. Admission takes a lock
    per tenant so two requests cannot both take the last call. The in-flight count is per
    process: several processes may together overshoot by their number of in-flight calls.
    """

    __slots__ = ("_in_flight", "_locks", "_uow")

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow
        self._in_flight: dict[UUID, int] = {}
        self._locks: dict[UUID, asyncio.Lock] = {}

    async def try_acquire(self, tenant_id: UUID, limit: int, now: datetime) -> bool:
        """Reserve one call for the tenant today; False when the budget is spent."""
        lock = self._locks.setdefault(tenant_id, asyncio.Lock())
        async with lock:
            async with self._uow(tenant_id) as uow:
                used = await uow.insights.count_since(start_of_utc_day(now))
            if used + self._in_flight.get(tenant_id, 0) >= limit:
                return False
            self._in_flight[tenant_id] = self._in_flight.get(tenant_id, 0) + 1
            return True

    async def release(self, tenant_id: UUID) -> None:
        """End a reservation once its insight is stored (or the call produced none)."""
        async with self._locks.setdefault(tenant_id, asyncio.Lock()):
            remaining = self._in_flight.get(tenant_id, 0) - 1
            if remaining > 0:
                self._in_flight[tenant_id] = remaining
            else:
                self._in_flight.pop(tenant_id, None)

    def in_flight(self, tenant_id: UUID) -> int:
        return self._in_flight.get(tenant_id, 0)


class SharedCalls(Generic[T]):
    """Runs one coroutine per key at a time; callers arriving while it runs share its result.

    The shared task is shielded, so one caller giving up does not cancel it for the others.
    """

    __slots__ = ("_running",)

    def __init__(self) -> None:
        self._running: dict[Hashable, asyncio.Task[T]] = {}

    async def run(self, key: Hashable, start: Callable[[], Coroutine[Any, Any, T]]) -> T:
        task = self._running.get(key)
        if task is None:
            task = asyncio.create_task(start())
            self._running[key] = task
            task.add_done_callback(lambda done: self._finish(key, done))
        return await asyncio.shield(task)

    def running(self) -> int:
        return len(self._running)

    def _finish(self, key: Hashable, task: asyncio.Task[T]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if not task.cancelled():
            # Mark the exception retrieved: every caller may have left before it ended.
            task.exception()
