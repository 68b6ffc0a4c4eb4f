"""The inbox's two batched statements on PostgreSQL, each one prepared statement in one round trip.

Through SQLAlchemy a batch of verdicts took four round trips (BEGIN, two SELECTs,
COMMIT) and a batch of records three, with each statement's IN list rendered anew; here
the keys travel as arrays, the SQL never changes, and each statement is its own
transaction (the driver runs in autocommit: a single statement is atomic by itself).
Each kind of statement keeps one pooled connection while the inbox is open: checking a
connection out and in for every batch took more CPU than the statement itself, and a
kind runs one batch at a time anyway (see :class:`~lana_adapters.messaging.coalesce.Coalescer`).

Imported only on PostgreSQL, where psycopg is installed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lana_adapters.sql.engine import UNSCOPED, changing_session_scope, scope_to_send
from lana_adapters.sql.errors import DRIVER_ERRORS, is_psycopg_connection_lost, translate, translate_psycopg
from lana_core.domain.events import DomainEvent

_SEEN = b"""
SELECT consumer, event_id
  FROM inbox
 WHERE (consumer, event_id) IN (SELECT * FROM unnest(%(consumers)s::text[], %(events)s::uuid[]))
"""

_RECORD = b"""
INSERT INTO inbox (consumer, event_id, tenant_id, event_type, aggregate_id, aggregate_version, processed_at)
SELECT * FROM unnest(%s::text[], %s::uuid[], %s::uuid[], %s::text[], %s::uuid[], %s::integer[],
                     %s::timestamptz[])
ON CONFLICT (consumer, event_id) DO NOTHING
RETURNING consumer, event_id
"""

Seen = set[tuple[str, UUID]]


class PgInboxStatements:
    """Runs the inbox's batches, each kind on the connection it keeps until :meth:`aclose`."""

    __slots__ = ("_lookup", "_records")

    def __init__(self, engine: AsyncEngine) -> None:
        self._lookup = _KeptConnection(engine)
        self._records = _KeptConnection(engine)

    async def seen(self, asked: Sequence[tuple[str, DomainEvent]]) -> Seen:
        """The asked events already recorded."""
        params = {
            "consumers": [consumer for consumer, _ in asked],
            "events": [event.id for _, event in asked],
        }
        return {(consumer, key) for consumer, key in await self._lookup.fetch(_SEEN, params)}

    async def record(self, done: Sequence[tuple[str, DomainEvent, datetime]]) -> Seen:
        """Insert the rows of ``done`` (one per consumer and event); the keys that were new."""
        columns: list[list[Any]] = [[] for _ in range(7)]
        for consumer, event, at in done:
            row = (consumer, event.id, event.tenant_id, event.type, event.aggregate_id,
                   event.aggregate_version, at)  # fmt: skip
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        return {(consumer, key) for consumer, key in await self._records.fetch(_RECORD, columns)}

    async def aclose(self) -> None:
        """Give the kept connections back to the pool."""
        await self._lookup.aclose()
        await self._records.aclose()


class _KeptConnection:
    """A pooled connection taken on first use and kept; dropped after any failure, so the
    next statement starts on a fresh one."""

    __slots__ = ("_connection", "_engine")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def fetch(self, sql: bytes, params: Any) -> list[Any]:
        try:
            kept = self._connection is not None
            try:
                return await self._fetch(sql, params)
            except (psycopg.Error, OSError) as error:
                if not (kept and is_psycopg_connection_lost(error)):
                    raise
                # It died while kept (a server restart, an idle timeout). Both statements
                # may run twice: a read, and an insert that skips rows already there.
                return await self._fetch(sql, params)
        except psycopg.Error as error:
            raise translate_psycopg(error) from error
        except DRIVER_ERRORS as error:
            raise translate(error) from error

    async def _fetch(self, sql: bytes, params: Any) -> list[Any]:
        fresh = self._connection is None
        if self._connection is None:
            self._connection = await self._engine.connect()
        try:
            raw = await self._connection.get_raw_connection()
            driver: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
            if fresh:
                await _as_login_role(self._connection, driver)
            cursor = await driver.execute(sql, params, prepare=True)
            return await cursor.fetchall()
        except BaseException:
            # Failed or cancelled mid-statement, the connection's state is unknown.
            await self._drop()
            raise

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await asyncio.shield(_discard(connection))


async def _as_login_role(connection: AsyncConnection, driver: psycopg.AsyncConnection[Any]) -> None:
    """Give the session back the login role: a unit of work may have left its tenant's
    role on it (see :func:`~lana_adapters.sql.engine.changing_session_scope`), which may not touch
    the inbox. The statements here run on the driver, outside SQLAlchemy's BEGIN, which
    would otherwise undo that for each transaction."""
    reset = scope_to_send(connection.info, None, None, session=True)
    if reset is not None:
        with changing_session_scope(connection.info, UNSCOPED):
            await driver.execute(reset.encode())


async def _discard(connection: AsyncConnection) -> None:
    """Close ``connection`` for good rather than give it back to the pool."""
    with contextlib.suppress(Exception):
        await connection.invalidate()
        await connection.close()
