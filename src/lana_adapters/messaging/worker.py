"""A queue consumer with manual acks that never lets slow work starve its broker connection.

The connection lives on one dedicated thread, which only receives, settles and sends
heartbeats; messages are handled on the event loop (webhook calls on worker threads),
so a handler slower than the heartbeat interval neither drops the connection nor causes
a redelivery. Messages of one aggregate go through one lane, in order.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from attrs import define

from lana_adapters.messaging.codec import AGGREGATE_ID_HEADER
from lana_adapters.messaging.handling import Ack, DeadLetter, Incoming, Retry, Settlement
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


class Lanes:
    """``count`` ordered lanes: a message's lane is chosen by its aggregate, so one aggregate's
    messages are handled one after another while different aggregates run side by side."""

    def __init__(self, count: int, handle: Callable[[Incoming], Awaitable[None]]) -> None:
        self._handle = handle
        self._queues: list[asyncio.Queue[Incoming | None]] = [asyncio.Queue() for _ in range(count)]
        self._tasks = [asyncio.create_task(self._run(q)) for q in self._queues]
        self._busy = 0

    def submit(self, incoming: Incoming) -> None:
        key = str(incoming.headers.get(AGGREGATE_ID_HEADER) or incoming.message_id or id(incoming))
        self._queues[zlib.crc32(key.encode()) % len(self._queues)].put_nowait(incoming)

    @property
    def idle(self) -> bool:
        return self._busy == 0 and all(q.empty() for q in self._queues)

    def drop_waiting(self) -> None:
        """Forget messages not started yet: unacknowledged, the broker redelivers them."""
        for queue in self._queues:
            while not queue.empty():
                queue.get_nowait()

    async def close(self) -> None:
        for queue in self._queues:
            queue.put_nowait(None)
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, queue: asyncio.Queue[Incoming | None]) -> None:
        while (incoming := await queue.get()) is not None:
            self._busy += 1
            try:
                await self._handle(incoming)
            except Exception:  # one message's bug must not stop its lane
                log.exception("handling message %s failed", incoming.message_id)
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
        self._decided: list[tuple[Incoming, Settlement]] = []
        self._timers: set[asyncio.Task[None]] = set()
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
            for task in self._timers:
                task.cancel()
            self._thread.shutdown(wait=True)

    async def _consume(self, session: Session, stop: asyncio.Event) -> bool:
        """Run one connection until stop (True) or its failure (False)."""
        lanes = Lanes(self._settings.lanes, lambda incoming: self._process(session, incoming))
        self._decided = []
        healthy = True
        try:
            while not stop.is_set():
                self._on_loop()
                for incoming in await self._settle_and_poll(session):
                    self.stats.received += 1
                    lanes.submit(incoming)
            await self._k(session.cancel)
            lanes.drop_waiting()
            await self._finish(session, lanes, keep_alive=True)
        except session.errors as error:
            log.warning("broker connection failed: %r", error)
            healthy = False
            lanes.drop_waiting()
            await self._finish(session, lanes, keep_alive=False)
            self._unsettled(len(self._decided), "the connection is gone")
            self._decided = []
        finally:
            await lanes.close()
            await self._k(session.close)
        return healthy

    async def _finish(self, session: Session, lanes: Lanes, *, keep_alive: bool) -> None:
        """Wait for the messages in progress, keeping heartbeats going when the connection is up."""
        deadline = asyncio.get_running_loop().time() + self._grace

        def busy() -> bool:
            # Without a connection, decided settlements can never be sent: only the lanes count.
            return not lanes.idle or (keep_alive and bool(self._decided))

        while busy() and asyncio.get_running_loop().time() < deadline:
            if keep_alive:
                await self._settle_and_poll(session)  # deliveries still in flight stay unacked
            else:
                await asyncio.sleep(POLL_SECONDS)
        if keep_alive and self._decided:  # the grace ran out: send what was decided anyway
            await self._settle_and_poll(session)

    async def _process(self, session: Session, incoming: Incoming) -> None:
        settlement = await self._handle(incoming)
        if isinstance(settlement, Retry) and not session.delays_on_broker:
            self._retry_in_process(session, incoming, settlement)
            return
        # The lane moves on while the connection's thread settles: the effect already happened.
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

    def _retry_in_process(self, session: Session, incoming: Incoming, retry: Retry) -> None:
        """Transports without per-queue TTLs (``memory://``) wait in this process instead."""

        async def later() -> None:
            await asyncio.sleep(retry.delay_ms / 1000)
            self._decided.append((incoming, retry))

        self._track(self._timers, later())

    @staticmethod
    def _track(tasks: set[asyncio.Task[None]], work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def _count(self, settlement: Settlement) -> None:
        if isinstance(settlement, Ack):
            if settlement.duplicate:
                self.stats.duplicates += 1
            else:
                self.stats.delivered += 1
        elif isinstance(settlement, Retry):
            self.stats.retried += 1
        elif isinstance(settlement, DeadLetter):
            self.stats.dead_lettered += 1

    async def _pause(self, stop: asyncio.Event, backoff: Backoff, error: object) -> None:
        delay = backoff.next_delay()
        log.warning("consumer reconnecting in %.1fs: %s", delay, error)
        await sleep_or_stop(stop, delay)

    async def _k(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)
