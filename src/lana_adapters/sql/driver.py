"""What a unit of work's transaction is sent through: one driver object per connection, for
the database at hand (see :mod:`lana_adapters.sql.tx`, which decides what it sends when)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol, TypeAlias, TypeVar

from attrs import field, frozen
from sqlalchemy.ext.asyncio import AsyncConnection

from lana_adapters.sql.engine import POSTGRESQL, scope_statement
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.writers import WriteQueue

# A row read by column name: a SQLAlchemy Row, or a named tuple from a driver.
AnyRow: TypeAlias = Any
Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
Appended = list[tuple[Prepared, Params]]
T = TypeVar("T")


@frozen
class Features:
    """What the connected database offers, learnt once per engine."""

    postgres: bool
    fts: bool


@frozen
class Ahead:
    """What travels ahead of a statement, in its round trip: BEGIN (without it, and outside
    a transaction, the statement is a transaction of its own), the scope, appended rows."""

    begin: bool
    scope: str | None = None
    appended: Appended = field(factory=list)


class Driver(Protocol):
    """Sends one pooled connection's statements and transaction control straight to the
    database's driver (psycopg or aiosqlite), under SQLAlchemy's pooled connection.

    Raises the core error matching any failure; ConnectionLost for a connection found dead.
    """

    def in_transaction(self) -> bool:
        """Whether the database holds a transaction open on the connection (an aborted one too)."""
        ...

    def runs(self, prepared: Prepared) -> bool:
        """Whether it runs ``prepared``; SQLAlchemy runs the statements it does not."""
        ...

    async def rows(self, prepared: Prepared, params: Params, ahead: Ahead | None) -> list[AnyRow]:
        """Every row ``prepared`` returns, sent behind ``ahead``."""
        ...

    async def write(
        self, prepared: Prepared, params: Params, ahead: Ahead | None, *, count: bool = True
    ) -> int:
        """The rows ``prepared`` touched (once per mapping of a list), or 0 when nobody
        needs the ``count``."""
        ...

    async def begin(self, ahead: Ahead) -> None:
        """Send ``ahead`` with no statement behind it."""
        ...

    async def commit(self, appended: Appended) -> None:
        """COMMIT, behind the ``appended`` rows."""
        ...

    async def leave(self, *, only_read: bool) -> None:
        """End whatever it holds, keeping nothing: the open transaction (which, when it
        ``only_read``, changed nothing), and on SQLite the writer's turn."""
        ...


# Runs a statement on a driver, behind what travels ahead of it.
Send = Callable[[Driver, Ahead | None], Awaitable[T]]


def driver_for(conn: AsyncConnection, *, postgres: bool, writers: WriteQueue | None = None) -> Driver:
    """The driver of the pooled connection ``conn``; on SQLite its write transactions wait
    for their turn in ``writers``."""
    if postgres:
        from lana_adapters.sql.pgdriver import PgDriver  # psycopg is installed for PostgreSQL only

        return PgDriver(conn)
    from lana_adapters.sql.sqlitedriver import SqliteDriver

    return SqliteDriver(conn, writers)


@asynccontextmanager
async def transaction_as(
    conn: AsyncConnection, role: str | None, *, writers: WriteQueue | None = None
) -> AsyncIterator[None]:
    """One transaction with no tenant for the statements run through SQLAlchemy on ``conn``
    meanwhile (the outbox relay, its gauges), begun and ended by the connection's driver:
    on PostgreSQL as ``role``; on SQLite, given the ``writers`` queue, once the writer's
    turn came, holding the write lock (else each statement is a transaction of its own).
    Committed unless the block raises."""
    postgres = conn.dialect.name == POSTGRESQL
    driver = driver_for(conn, postgres=postgres, writers=writers)
    try:
        if postgres or writers is not None:
            await driver.begin(Ahead(True, scope_statement(None, role) if postgres else None))
        yield
        if driver.in_transaction():
            await driver.commit([])
    finally:
        await driver.leave(only_read=False)
