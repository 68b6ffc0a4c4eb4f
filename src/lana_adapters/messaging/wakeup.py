"""How an idle relay learns there is work: a PostgreSQL NOTIFY when it can listen, else a short poll.

A notification is only a hint: the relay claims rows by state either way, so a missed
or coalesced notification delays an event by one poll at most, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from lana_adapters.messaging.lifecycle import Backoff, sleep_or_stop
from lana_adapters.sql.outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


class WakeUp(Protocol):
    async def wait(self, seconds: float, stop: asyncio.Event) -> None:
        """Return after ``seconds``, or sooner when there may be work or ``stop`` is set."""
        ...

    async def close(self) -> None: ...


class Poll:
    """No hint: wait out the poll interval."""

    __slots__ = ()

    async def wait(self, seconds: float, stop: asyncio.Event) -> None:
        await sleep_or_stop(stop, seconds)

    async def close(self) -> None:
        return None


class PostgresListener:
    """``LISTEN`` on the outbox channel; while the listening connection is down, it polls
    and reconnects with backoff."""

    __slots__ = ("_backoff", "_conn", "_conninfo", "_retry_at")

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._conn: Any = None
        self._backoff = Backoff(0.5, 30.0)
        self._retry_at = 0.0

    async def wait(self, seconds: float, stop: asyncio.Event) -> None:
        """Return on a notification, after ``seconds``, or when ``stop`` is set."""
        conn = await self._connection()
        if conn is None:
            await sleep_or_stop(stop, seconds)
            return
        stopped = asyncio.ensure_future(stop.wait())
        notified = asyncio.ensure_future(self._next(conn, seconds))
        try:
            await asyncio.wait({stopped, notified}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stopped, notified):
                task.cancel()
            await asyncio.gather(stopped, notified, return_exceptions=True)
        if notified.done() and not notified.cancelled() and notified.exception() is not None:
            await self._lost(notified.exception())

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _next(self, conn: Any, seconds: float) -> None:
        async for _ in conn.notifies(timeout=seconds, stop_after=1):
            break

    async def _connection(self) -> Any:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        loop = asyncio.get_running_loop()
        if loop.time() < self._retry_at:
            return None
        import psycopg

        try:
            conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True, connect_timeout=5)
            await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except (psycopg.Error, OSError) as error:
            await self._lost(error)
            return None
        self._conn = conn
        self._backoff.reset()
        return conn

    async def _lost(self, error: BaseException | None) -> None:
        log.warning("outbox listener lost (%r); polling until it reconnects", error)
        await self.close()
        self._retry_at = asyncio.get_running_loop().time() + self._backoff.next_delay()


def wakeup_for(database_url: str | None) -> WakeUp:
    """A listener for a PostgreSQL URL, a poll for anything else (None: an in-process store)."""
    if database_url is None:
        return Poll()
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return Poll()
    return PostgresListener(url.set(drivername="postgresql").render_as_string(hide_password=False))
