"""The short transactions of a worker that serves every tenant: the outbox relay, the
webhook delivery worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lana_adapters.sql.driver import transaction_as
from lana_adapters.sql.engine import options_of
from lana_adapters.sql.errors import DRIVER_ERRORS, is_retryable, translate
from lana_adapters.sql.settings import RELAY_ROLE
from lana_core.ports import Clock
from lana_core.system import SystemClock

T = TypeVar("T")


class RelayTransactions:
    """Each call one transaction on a pooled connection, as ``role`` on PostgreSQL (the relay
    role, which row-level security lets see every tenant's rows). A serialization failure or
    deadlock is retried up to ``retries`` times, then raised as Conflict; a lost database as
    Unavailable. On SQLite, writes queue with the units of work for the write lock (see
    :mod:`lana_adapters.sql.writers`). ``engine`` comes from
    :func:`~lana_adapters.sql.engine.create_engine_from` (another raises ValueError)."""

    __slots__ = ("_engine", "_retries", "_role", "_writers", "postgres")

    def __init__(self, engine: AsyncEngine, role: str | None, retries: int) -> None:
        options = options_of(engine)
        self._engine = engine
        self._role = role if options.postgres else None
        self._retries = retries
        self._writers = options.writers
        self.postgres = options.postgres

    async def run(self, work: Callable[[AsyncConnection], Awaitable[T]], *, writes: bool = False) -> T:
        for attempt in range(self._retries + 1):
            try:
                return await self._once(work, writes=writes)
            except DRIVER_ERRORS as error:
                if attempt < self._retries and is_retryable(error):
                    continue
                raise translate(error) from error
        raise AssertionError("unreachable")

    async def _once(self, work: Callable[[AsyncConnection], Awaitable[T]], *, writes: bool) -> T:
        # Queue only once holding a connection, as a unit of work does: a writer whose turn
        # came must never wait for a connection that writers behind it hold.
        async with (
            self._engine.connect() as conn,
            transaction_as(conn, self._role, writers=self._writers if writes else None),
        ):
            return await work(conn)


class LeasedRows:
    """What the outbox relay store and the webhook delivery queue share: short transactions
    of :class:`RelayTransactions` and claims that lease rows for a while from now."""

    __slots__ = ("_clock", "_transactions")

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock | None = None,
        *,
        role: str | None = RELAY_ROLE,
        retries: int = 3,
    ) -> None:
        self._transactions = RelayTransactions(engine, role, retries)
        self._clock = clock or SystemClock()

    def _claim_parameters(self, limit: int, lease_seconds: float) -> dict[str, object]:
        now = self._clock.now()
        return {"now": now, "until": now + timedelta(seconds=lease_seconds), "limit": limit}
