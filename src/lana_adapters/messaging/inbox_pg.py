"""The inbox's two batched statements on PostgreSQL, each one prepared statement in one round trip.

Through SQLAlchemy a batch of verdicts took four round trips (BEGIN, two SELECTs,
COMMIT) and a batch of records three, with each statement's IN list rendered anew; here
the keys travel as arrays, the SQL never changes, and each statement is its own
transaction (the driver runs in autocommit: a single statement is atomic by itself).

Imported only on PostgreSQL, where psycopg is installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql.errors import DRIVER_ERRORS, translate, translate_psycopg
from lana_core.domain.events import DomainEvent

_VERDICT_FACTS = b"""
SELECT true AS seen, consumer, event_id AS key, NULL::integer AS top
  FROM inbox
 WHERE (consumer, event_id) IN (SELECT * FROM unnest(%(consumers)s::text[], %(events)s::uuid[]))
UNION ALL
SELECT false, consumer, aggregate_id, max(aggregate_version)
  FROM inbox
 WHERE (consumer, aggregate_id) IN (SELECT * FROM unnest(%(consumers)s::text[], %(aggregates)s::uuid[]))
 GROUP BY consumer, aggregate_id
"""

_RECORD = b"""
INSERT INTO inbox (consumer, event_id, tenant_id, event_type, aggregate_id, aggregate_version, processed_at)
SELECT * FROM unnest(%s::text[], %s::uuid[], %s::uuid[], %s::text[], %s::uuid[], %s::integer[],
                     %s::timestamptz[])
ON CONFLICT (consumer, event_id) DO NOTHING
RETURNING consumer, event_id
"""

Seen = set[tuple[str, UUID]]
Tops = dict[tuple[str, UUID], int]


class PgInboxStatements:
    """Runs the inbox's batches on a pooled connection's psycopg connection."""

    __slots__ = ("_engine",)

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def facts(self, asked: Sequence[tuple[str, DomainEvent]]) -> tuple[Seen, Tops]:
        """The asked events already recorded, and the highest recorded version of their aggregates."""
        params = {
            "consumers": [consumer for consumer, _ in asked],
            "events": [event.id for _, event in asked],
            "aggregates": [event.aggregate_id for _, event in asked],
        }
        seen: Seen = set()
        tops: Tops = {}
        for is_seen, consumer, key, top in await self._run(_VERDICT_FACTS, params):
            if is_seen:
                seen.add((consumer, key))
            else:
                tops[consumer, key] = top
        return seen, tops

    async def record(self, done: Sequence[tuple[str, DomainEvent, datetime]]) -> Seen:
        """Insert the rows of ``done`` (one per consumer and event); the keys that were new."""
        columns: list[list[Any]] = [[] for _ in range(7)]
        for consumer, event, at in done:
            row = (consumer, event.id, event.tenant_id, event.type, event.aggregate_id,
                   event.aggregate_version, at)  # fmt: skip
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        return {(consumer, key) for consumer, key in await self._run(_RECORD, columns)}

    async def _run(self, sql: bytes, params: Any) -> list[Any]:
        try:
            async with self._engine.connect() as conn:
                raw = await conn.get_raw_connection()
                driver: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
                cursor = await driver.execute(sql, params, prepare=True)
                return await cursor.fetchall()
        except psycopg.Error as error:
            raise translate_psycopg(error) from error
        except DRIVER_ERRORS as error:
            raise translate(error) from error
