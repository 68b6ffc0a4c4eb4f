"""Health of event delivery: a heartbeat file the workers touch, outbox lag, dead-letter queue size."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

from attrs import frozen
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.messaging.publisher import connect
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.topology import Topology
from lana_adapters.sql.errors import DRIVER_ERRORS, translate
from lana_adapters.sql.tables import outbox
from lana_core.errors import Unavailable
from lana_core.memory import InMemoryStore
from lana_core.ports import Clock

_AS_ROLE = text("SELECT set_config('role', :role, true)")
_LAG = select(func.count(), func.min(outbox.c.occurred_at)).where(outbox.c.state == "pending")


class HeartbeatFile:
    """Touched on every worker loop (at most once a second): a liveness probe checks its age."""

    __slots__ = ("_last", "_path")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._last = 0.0

    def touch(self) -> None:
        now = time.time()
        if now - self._last >= 1.0:
            self._path.write_text(f"{now:.3f}\n")
            self._last = now


def heartbeat_age(path: str | os.PathLike[str]) -> float | None:
    """Seconds since the worker last touched ``path``; None when it never did."""
    try:
        return max(0.0, time.time() - float(Path(path).read_text().strip()))
    except (OSError, ValueError):
        return None


@frozen
class OutboxLag:
    """Events waiting for the relay, and how long the oldest has waited (None when none waits)."""

    pending: int
    oldest_age_seconds: float | None


async def sql_outbox_lag(engine: AsyncEngine, clock: Clock, *, role: str | None = None) -> OutboxLag:
    """The lag of a SQL outbox (read as ``role`` on PostgreSQL, which row-level security needs).

    Raises Unavailable when the database cannot answer.
    """
    try:
        async with engine.begin() as conn:
            if role is not None and engine.dialect.name == "postgresql":
                await conn.execute(_AS_ROLE, {"role": role})
            count, oldest = (await conn.execute(_LAG)).one()
    except DRIVER_ERRORS as error:
        raise translate(error) from error
    return OutboxLag(int(count), _age(oldest, clock))


def memory_outbox_lag(store: InMemoryStore, clock: Clock) -> OutboxLag:
    oldest = min((row.event.occurred_at for row in store.outbox.values()), default=None)
    return OutboxLag(len(store.outbox), _age(oldest, clock))


def dlq_size(settings: MessagingSettings) -> int:
    """Messages in the consumer's dead-letter queue; raises Unavailable when the broker cannot answer."""
    conn = connect(settings, heartbeat=0)
    try:
        _, count, _ = conn.channel().queue_declare(
            queue=Topology.of(settings).dead_letter_queue, passive=True
        )
        return int(count)
    except Exception as error:
        raise Unavailable(f"cannot read the dead-letter queue: {error}") from error
    finally:
        conn.release()


def _age(oldest: datetime | None, clock: Clock) -> float | None:
    return None if oldest is None else max(0.0, (clock.now() - oldest).total_seconds())
