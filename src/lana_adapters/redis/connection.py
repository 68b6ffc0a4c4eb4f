"""Connecting to Redis with short timeouts and no hidden retries, and a circuit around it.

redis-py retries failed commands and waits 5 s per socket read by default; a cache that
fails open wants neither: one bounded attempt, then the caller's fallback.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from lana_adapters.redis.settings import RedisSettings
from lana_adapters.telemetry.tracing import tracer

T = TypeVar("T")
# A deadline timer firing this late means the event loop itself stalled; the grace that
# gives back is capped at this many timeouts.
_STALL_SECONDS = 0.02
_MAX_STALL_GRACE = 5

log = logging.getLogger(__name__)

# What a failing Redis raises: its own errors, socket errors, and our deadline.
REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


class RedisDown(Exception):
    """Redis did not answer in time, failed, or is being left alone after a recent failure.

    ``overloaded``: Redis answered other calls meanwhile, so this process was too busy
    to get the answer in time (Redis itself is up). ``left_alone``: nothing was tried,
    the circuit is open after a recent failure.
    """

    def __init__(self, reason: str, *, overloaded: bool = False, left_alone: bool = False) -> None:
        super().__init__(reason)
        self.overloaded = overloaded
        self.left_alone = left_alone


def connect(settings: RedisSettings) -> Redis:
    """A client on a bounded pool: a command waits at most ``timeout_seconds`` for a connection
    and for its answer, and is never retried by the client. Connects lazily."""
    pool = BlockingConnectionPool.from_url(
        settings.address,
        max_connections=settings.max_connections,
        timeout=settings.timeout_seconds,
        socket_timeout=settings.timeout_seconds,
        socket_connect_timeout=settings.connect_timeout_seconds,
        retry=Retry(NoBackoff(), 0),
        # No CLIENT SETINFO on connect: less work for every new connection.
        driver_info=None,
    )
    return TracedRedis.from_pool(pool)


class TracedRedis(Redis):
    """A client whose every command, and every pipeline as a whole, is a client span under
    the current one. Spans name the command only: arguments can hold keys and tokens."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        with _command_span(str(args[0]).upper() if args else "COMMAND"):
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return TracedPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)


class TracedPipeline(Pipeline):
    """A pipeline sent as one span, ``db.operation.batch.size`` commands long."""

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        with _command_span("PIPELINE") as span:
            span.set_attribute("db.operation.batch.size", len(self.command_stack))
            return await super().execute(raise_on_error)


def _command_span(operation: str) -> AbstractContextManager[trace.Span]:
    return tracer().start_as_current_span(
        operation,
        kind=SpanKind.CLIENT,
        attributes={"db.system": "redis", "db.operation.name": operation},
    )


def _forget(abandoned: set[asyncio.Future[Any]]) -> Callable[[asyncio.Future[Any]], None]:
    def done(task: asyncio.Future[Any]) -> None:
        abandoned.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: nobody else will look at it

    return done


class Circuit:
    """Leaves Redis alone for ``open_seconds`` after a failure, so an outage costs one timeout
    per period instead of one per call; then lets one call through to probe it."""

    __slots__ = ("_monotonic", "_open_seconds", "_open_until")

    def __init__(self, open_seconds: float, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._open_seconds = open_seconds
        self._monotonic = monotonic
        self._open_until: float | None = None

    @property
    def is_closed(self) -> bool:
        return self._open_until is None

    def allows(self) -> bool:
        """Whether a call may use Redis now; the first call after the open period is the probe."""
        if self._open_until is None:
            return True
        now = self._monotonic()
        if now < self._open_until:
            return False
        # Keep the others out while the probe runs; a probe that never reports just waits a period.
        self._open_until = now + self._open_seconds
        return True

    def succeeded(self) -> None:
        if self._open_until is not None:
            log.info("redis answers again")
        self._open_until = None

    def failed(self, error: BaseException) -> None:
        if self._open_until is None:
            log.warning("redis failed, leaving it alone for %.1fs: %r", self._open_seconds, error)
        self._open_until = self._monotonic() + self._open_seconds


class Guard:
    """Runs Redis operations under a deadline and the circuit; every failure becomes RedisDown.

    A late operation is abandoned at its deadline, not awaited while redis-py tears its
    connection down, so the caller never waits longer than the timeout. The timeout counts
    from when the operation starts running: a process too busy to send the command is
    not a Redis failure. When Redis answered other calls meanwhile, the operation gets a
    second timeout, and its failure does not open the circuit: an overloaded process
    must not also lose its cache. Time the process's own event loop stalled during the
    wait is given back once (at most five timeouts): the answer may be waiting unread.
    """

    __slots__ = ("_abandoned", "_circuit", "_last_success", "_timeout")

    def __init__(self, timeout_seconds: float, circuit: Circuit) -> None:
        self._timeout = timeout_seconds
        self._circuit = circuit
        self._abandoned: set[asyncio.Future[Any]] = set()
        self._last_success = float("-inf")

    @property
    def circuit(self) -> Circuit:
        return self._circuit

    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        """The operation's result; raises RedisDown when the circuit is open or the operation fails."""
        if not self._circuit.allows():
            raise RedisDown("circuit open", left_alone=True)
        loop = asyncio.get_running_loop()
        started = loop.time()
        began: list[float] = []

        async def tracked() -> T:
            began.append(loop.time())
            return await operation()

        task = asyncio.ensure_future(tracked())
        try:
            await asyncio.wait((task,), timeout=self._timeout)
            await self._after_a_stall(task, started + self._timeout, loop.time())
            # Redis gets its whole timeout from when the command could be sent, and one more
            # when it answered other calls meanwhile (this process is slow, not Redis).
            while not task.done() and (extra := self._extra_wait(started, began, loop.time())) > 0:
                await asyncio.wait((task,), timeout=extra)
        except BaseException:
            self._abandon(task)  # our caller was cancelled: so is its operation
            raise
        return self._outcome(task, started, loop.time())

    async def _after_a_stall(self, task: asyncio.Future[Any], due: float, woke: float) -> None:
        """A deadline timer that fired late says this process stalled (a busy core, a garbage
        collection) while Redis's answer may have been waiting unread: the operation gets
        the time it lost back, once, before it is judged."""
        lost = min(woke - due, _MAX_STALL_GRACE * self._timeout)
        if not task.done() and lost > _STALL_SECONDS:
            await asyncio.wait((task,), timeout=lost)

    def _extra_wait(self, started: float, began: list[float], now: float) -> float:
        if not began:
            return self._timeout
        deadline = began[0] + self._timeout
        if self._last_success > started:
            deadline = max(deadline, started + 2 * self._timeout)
        return deadline - now

    def _outcome(self, task: asyncio.Future[T], started: float, now: float) -> T:
        error: BaseException
        if not task.done() or task.cancelled():
            error = TimeoutError(f"no answer within {self._timeout}s")
        elif isinstance(task.exception(), REDIS_ERRORS):
            error = task.exception()  # type: ignore[assignment]
        else:
            result = task.result()  # a foreign error propagates as it is
            self._last_success = now
            self._circuit.succeeded()
            return result
        self._abandon(task)
        overloaded = self._last_success > started
        if not overloaded:
            self._circuit.failed(error)
        raise RedisDown(f"{type(error).__name__}: {error}", overloaded=overloaded) from error

    def _abandon(self, task: asyncio.Future[Any]) -> None:
        if task.done():
            return
        task.cancel()
        self._abandoned.add(task)
        task.add_done_callback(_forget(self._abandoned))

    @classmethod
    def of(cls, settings: RedisSettings) -> Guard:
        return cls(settings.timeout_seconds, Circuit(settings.circuit_open_seconds))
