"""Run :class:`~lana_adapters.sql.prepared.Prepared` statements straight on psycopg.

Imported only on PostgreSQL, where psycopg is installed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy.ext.asyncio import AsyncConnection

from lana_adapters.sql.errors import translate_psycopg
from lana_adapters.sql.prepared import Prepared


class PgRunner:
    """Executes prepared statements on the psycopg connection under one pooled connection,
    inside the transaction SQLAlchemy began; rows read by attribute like SQLAlchemy's."""

    __slots__ = ("_conn", "_driver")

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._driver: psycopg.AsyncConnection[Any] | None = None

    async def run(
        self, prepared: Prepared, params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
    ) -> psycopg.AsyncCursor[Any]:
        """Run ``prepared`` once, or once per mapping of a list; raises the matching core error."""
        driver = self._driver or await self._driver_connection()
        dialect = self._conn.dialect
        sql = prepared.sql(dialect)
        cursor = driver.cursor(row_factory=namedtuple_row)
        try:
            if isinstance(params, Sequence):
                await cursor.executemany(sql, [prepared.adapt(dialect, row) for row in params])
            else:
                # Fixed statements whose best plan does not depend on their values.
                await cursor.execute(sql, prepared.adapt(dialect, params or {}), prepare=True)
        except psycopg.Error as error:
            raise translate_psycopg(error) from error
        return cursor

    async def _driver_connection(self) -> psycopg.AsyncConnection[Any]:
        raw = await self._conn.get_raw_connection()
        driver: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
        self._driver = driver
        return driver
