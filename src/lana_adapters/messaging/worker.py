"""A queue consumer with manual acks that never lets slow work starve its broker connection.

The connection lives on one dedicated thread, which only receives, settles and sends
heartbeats; messages are handled on the event loop, so a handler slower than the
heartbeat interval neither drops the connection nor causes a redelivery. Messages of one
aggregate are handled in order, a retried one before any later one of its aggregate
(see :class:`Groups`): no event overtakes another of its aggregate, and none is dropped
to keep that order.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from attrs import define, evolve

from lana_adapters.messaging.codec import AGGREGATE_ID_HEADER
from lana_adapters.messaging.handling import DeadLetter, Incoming, Retry, Settled, Settlement
from lana_adapters.messaging.lifecycle import Backoff, sleep_or_stop
from lana_adapters.messaging.session import Session
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.topology import Topology

log = logging.getLogger(__name__)
T = TypeVar("T")
Handle = Callable[[Incoming], Awaitable[Settlement]]
POLL_SECONDS = 0.01


@define
class WorkerStats:
    """Counters since the worker started."""

    received: int = 0
    delivered: int = 0
    duplicates: int = 0
    retried: int = 0
    dead_lettered: int = 0
    unsettled: int = 0
    sessions: int = 0


class Groups:
    """Messages of one aggregate handled one after another, in the order they arrived; those of
    different aggregates side by side, at most ``concurrency`` at once.

    A message its handler wants retried waits its delay and is handled again before any
    later message of its aggregate, which waits behind it, unacknowledged; every other
    aggregate goes on. What a group settles (an ack, a dead letter) goes to ``settle``. On
    :meth:`close` the waits end and messages not started stay unacknowledged: the broker
    redelivers them, in order.
    """

    def __init__(
        self,
        concurrency: int,
        handle: Callable[[Incoming], Awaitable[Settlement]],
        settle: Callable[[Incoming, Settled], None],
    ) -> None:
        self._handle = handle
        self._settle = settle
        self._slots = asyncio.Semaphore(concurrency)
        self._groups: dict[str, collections.deque[Incoming]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()
        self._busy = 0

    def submit(self, incoming: Incoming) -> None:
        key = str(incoming.headers.get(AGGREGATE_ID_HEADER) or incoming.message_id or id(incoming))
        waiting = self._groups.get(key)
        if waiting is not None:
            waiting.append(incoming)
            return
        self._groups[key] = collections.deque([incoming])
        task = asyncio.create_task(self._run(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def idle(self) -> bool:
        """No message is being handled (waiting for a retry is not handling)."""
        return self._busy == 0

    async def close(self) -> None:
        """Stop taking messages from the groups; what is being handled runs to its end."""
        self._closing.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._groups.clear()

    async def _run(self, key: str) -> None:
        waiting = self._groups[key]
        try:
            while waiting and not self._closing.is_set():
                settled = await self._until_settled(waiting[0])
                if settled is None:
                    return
                waiting.popleft()
                self._settle(*settled)
        finally:
            if not self._closing.is_set():
                self._groups.pop(key, None)

    async def _until_settled(self, incoming: Incoming) -> tuple[Incoming, Settled] | None:
        """Handle ``incoming`` until it settles; None when closed meanwhile."""
        while True:
            settlement = await self._handled(incoming)
            if settlement is None:
                return None
            if not isinstance(settlement, Retry):
                return incoming, settlement
            incoming = evolve(incoming, attempts=settlement.attempts)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), settlement.delay_ms / 1000)
            if self._closing.is_set():
                return None

    async def _handled(self, incoming: Incoming) -> Settlement | None:
        async with self._slots:
            if self._closing.is_set():
                return None
            self._busy += 1
            try:
                return await self._handle(incoming)
            except Exception as error:  # a bug: keep the message for replay, let its group go on
                log.exception("handling message %s failed", incoming.message_id)
                return DeadLetter(f"handling failed: {error!r}", incoming.attempts)
            finally:
                self._busy -= 1


class QueueWorker:
    """Consumes ``topology.queue`` and settles each message as ``handle`` decides: ack, retry
    through the retry queue of its delay, or dead-letter. Reconnects with exponential
    backoff after broker failures; a stop finishes the messages in progress (bounded by
    ``grace_seconds``) and leaves the rest to the broker."""

    def __init__(
        self,
        settings: MessagingSettings,
        topology: Topology,
        handle: Handle,
        *,
        grace_seconds: float | None = None,
        on_loop: Callable[[], None] | None = None,
    ) -> None:
        self._settings = settings
        self._topology = topology
        self._handle = handle
        self._grace = grace_seconds if grace_seconds is not None else settings.webhook_timeout_seconds * 2 + 1
        self._on_loop = on_loop or (lambda: None)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lana-consumer")
        # Decided but not yet sent to the broker: the connection's thread settles them in
        # batches between polls, one hop for many messages.
        self._decided: list[tuple[Incoming, Settled]] = []
        self.stats = WorkerStats()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; never raises for a broker outage."""
        backoff = Backoff(0.2, self._settings.backoff_max_seconds)
        try:
            while not stop.is_set():
                session = Session(self._settings, self._topology)
                try:
                    await self._k(session.open)
                except session.errors as error:
                    await self._pause(stop, backoff, error)
                    continue
                backoff.reset()
                self.stats.sessions += 1
                if not await self._consume(session, stop):
                    await self._pause(stop, backoff, "connection lost")
        finally:
            self._thread.shutdown(wait=True)

    async def _consume(self, session: Session, stop: asyncio.Event) -> bool:
        """Run one connection until stop (True) or its failure (False)."""
        groups = Groups(self._settings.lanes, self._handle_counted, self._decide)
        self._decided = []
        healthy = True
        try:
            while not stop.is_set():
                self._on_loop()
                for incoming in await self._settle_and_poll(session):
                    self.stats.received += 1
                    groups.submit(incoming)
            await self._k(session.cancel)
            await self._finish(session, groups, keep_alive=True)
        except session.errors as error:
            log.warning("broker connection failed: %r", error)
            healthy = False
            await self._finish(session, groups, keep_alive=False)
            self._unsettled(len(self._decided), "the connection is gone")
            self._decided = []
        finally:
            await self._k(session.close)
        return healthy

    async def _finish(self, session: Session, groups: Groups, *, keep_alive: bool) -> None:
        """Let the messages being handled finish (the others stay unacked for the broker to
        redeliver), keeping heartbeats going and settling while the connection is up."""
        closed = asyncio.ensure_future(groups.close())
        deadline = asyncio.get_running_loop().time() + self._grace
        while not closed.done() and asyncio.get_running_loop().time() < deadline:
            if keep_alive:
                await self._settle_and_poll(session)  # what arrives now stays unacked
            else:
                await asyncio.wait({closed}, timeout=POLL_SECONDS)
        if not closed.done():
            closed.cancel()  # the grace ran out: what is still being handled is abandoned
            await asyncio.gather(closed, return_exceptions=True)
        if keep_alive and self._decided:
            await self._settle_and_poll(session)

    async def _handle_counted(self, incoming: Incoming) -> Settlement:
        settlement = await self._handle(incoming)
        if isinstance(settlement, Retry):
            self.stats.retried += 1
        return settlement

    def _decide(self, incoming: Incoming, settlement: Settled) -> None:
        # The group moves on while the connection's thread settles: the effect already happened.
        self._decided.append((incoming, settlement))

    async def _settle_and_poll(self, session: Session) -> list[Incoming]:
        """Send the settlements decided so far, then take what arrived within a poll."""
        decided, self._decided = self._decided, []
        failures, received = await self._k(session.settle_and_poll, decided, POLL_SECONDS)
        for (incoming, settlement), failure in zip(decided, failures, strict=True):
            if failure is None:
                self._count(settlement)
            else:  # the broker redelivers the message
                self._unsettled(1, f"message {incoming.message_id}: {failure!r}")
        return received

    def _unsettled(self, count: int, why: str) -> None:
        if count:
            self.stats.unsettled += count
            log.info("%d message(s) left unsettled: %s", count, why)

    def _count(self, settlement: Settled) -> None:
        if isinstance(settlement, DeadLetter):
            self.stats.dead_lettered += 1
        elif settlement.duplicate:
            self.stats.duplicates += 1
        else:
            self.stats.delivered += 1

    async def _pause(self, stop: asyncio.Event, backoff: Backoff, error: object) -> None:
        delay = backoff.next_delay()
        log.warning("consumer reconnecting in %.1fs: %s", delay, error)
        await sleep_or_stop(stop, delay)

    async def _k(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)
