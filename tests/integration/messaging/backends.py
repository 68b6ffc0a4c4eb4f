"""Outbox backends the relay tests run on: the in-memory store, SQLite and PostgreSQL.

Each yields a kernel (use cases write through it), the relay's store over the same data,
and a way to read a row's state as the relay left it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import UUID

import pytest
from attrs import frozen
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql import SqlOutboxRelayStore, SqlSettings, SqlUnitOfWorkFactory, create_engine_from
from lana_adapters.sql.tables import outbox
from lana_core.memory import InMemoryCache, InMemoryOutboxRelayStore, InMemoryStore
from lana_core.ports import OutboxRelayStore
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel
from tests.integration.sql.databases import (
    empty_tables,
    postgres_database,
    postgres_unavailable,
    sqlite_database,
)
from tests.support import make_kernel

# (state, attempts): state is pending, published or dead.
RowState = tuple[str, int]


@frozen(kw_only=True)
class Backend:
    name: str
    kernel: Kernel
    store: OutboxRelayStore
    row: Callable[[UUID], Awaitable[RowState]]
    database_url: str | None = None
    engine: AsyncEngine | None = None


BACKENDS = [
    pytest.param("memory"),
    pytest.param("sqlite"),
    pytest.param("postgres", marks=pytest.mark.postgres),
]
SQL_BACKENDS = BACKENDS[1:]


@asynccontextmanager
async def open_backend(name: str) -> AsyncIterator[Backend]:
    if name == "memory":
        yield _memory()
        return
    if name == "postgres":
        reason = postgres_unavailable()
        if reason is not None:
            pytest.skip(reason)
        async with _sql(postgres_database()) as backend:
            yield backend
        return
    directory = Path(tempfile.mkdtemp(prefix="lana_messaging_"))
    try:
        async with _sql(sqlite_database(directory)) as backend:
            yield backend
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _memory() -> Backend:
    store = InMemoryStore()

    async def row(event_id: UUID) -> RowState:
        if event_id in store.outbox:
            return "pending", store.outbox[event_id].attempts
        if event_id in store.dead_letters:
            return "dead", store.dead_letters[event_id].attempts
        return "published", 0

    return Backend(
        name="memory",
        kernel=make_kernel(store=store, clock=SystemClock()),
        store=InMemoryOutboxRelayStore(store, SystemClock()),
        row=row,
    )


@asynccontextmanager
async def _sql(url: str) -> AsyncIterator[Backend]:
    engine = create_engine_from(SqlSettings(url=url, pool_size=25, max_overflow=25))
    if engine.dialect.name == "postgresql":
        await empty_tables(engine)
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE inbox"))

    async def row(event_id: UUID) -> RowState:
        async with engine.connect() as conn:
            found = (
                await conn.execute(select(outbox.c.state, outbox.c.attempts).where(outbox.c.id == event_id))
            ).one()
        return str(found.state), int(found.attempts)

    kernel = Kernel(
        uow=SqlUnitOfWorkFactory(engine), clock=SystemClock(), ids=TimeOrderedIds(), cache=InMemoryCache()
    )
    try:
        yield Backend(
            name=engine.dialect.name,
            kernel=kernel,
            store=SqlOutboxRelayStore(engine),
            row=row,
            database_url=url,
            engine=engine,
        )
    finally:
        await engine.dispose()
