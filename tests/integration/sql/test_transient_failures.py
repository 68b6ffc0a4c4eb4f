"""Transient database failures: a lost connection before any work is tried again, a clash is a Conflict."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast
from uuid import uuid4

import psycopg
import pytest
from sqlalchemy import exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lana_adapters.sql import SqlSettings, SqlUnitOfWorkFactory, create_engine_from
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.tx import Features, Tx
from lana_adapters.sql.uow import Retries
from lana_core.errors import Conflict, Unavailable, ValidationError
from tests.contract import builders

pytestmark = pytest.mark.postgres
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def one_connection(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine whose pool holds one connection, never checked before use."""
    engine = create_engine_from(SqlSettings(url=postgres_url, pool_size=1, max_overflow=0))
    try:
        yield engine
    finally:
        await engine.dispose()


def _terminate(postgres_url: str, pid: int) -> None:
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


async def _backend_pid(factory: SqlUnitOfWorkFactory) -> int:
    async with factory(uuid4()) as uow:
        await uow.tenants.get(uuid4())
        conn = uow._conn  # the pooled connection this unit holds
        assert conn is not None
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_pooled_connection_the_server_dropped_is_replaced_at_begin(
    one_connection: AsyncEngine, postgres_url: str
) -> None:
    factory = SqlUnitOfWorkFactory(one_connection)
    dropped = await _backend_pid(factory)
    _terminate(postgres_url, dropped)

    async with factory(uuid4()) as uow:
        assert await uow.tenants.get(uuid4()) is None

    assert await _backend_pid(factory) != dropped


async def test_without_retries_the_dropped_connection_fails_the_unit_as_unavailable(
    one_connection: AsyncEngine, postgres_url: str
) -> None:
    factory = SqlUnitOfWorkFactory(one_connection, retries=Retries(attempts=1))
    _terminate(postgres_url, await _backend_pid(factory))

    with pytest.raises(Unavailable):
        async with factory(uuid4()) as uow:
            await uow.tenants.get(uuid4())


class _FlakyEngine:
    """An engine whose first ``failures`` connects are refused, as while a server restarts."""

    def __init__(self, engine: AsyncEngine, failures: int) -> None:
        self._engine = engine
        self.failures = failures
        self.dialect = engine.dialect
        self.get_execution_options = engine.get_execution_options

    def connect(self) -> Any:
        if self.failures > 0:
            self.failures -= 1
            raise exc.OperationalError("connect", {}, psycopg.OperationalError("connection refused"))
        return self._engine.connect()


async def test_a_refused_connect_is_tried_again_a_bounded_number_of_times(
    one_connection: AsyncEngine,
) -> None:
    flaky = _FlakyEngine(one_connection, failures=2)
    factory = SqlUnitOfWorkFactory(cast("AsyncEngine", flaky), retries=Retries(attempts=3))
    async with factory(uuid4()) as uow:
        assert await uow.tenants.get(uuid4()) is None

    flaky.failures = 3
    with pytest.raises(Unavailable):
        async with factory(uuid4()):
            pass
    assert flaky.failures == 0


@pytest.mark.parametrize(("state", "reason"), [("40001", "serialization failure"), ("40P01", "deadlock")])
async def test_a_serialization_failure_or_deadlock_is_a_conflict_saying_to_retry(
    one_connection: AsyncEngine, state: str, reason: str
) -> None:
    failing = text(f"DO $$ BEGIN RAISE EXCEPTION 'clash' USING ERRCODE = '{state}'; END $$")
    for statement in (failing, Prepared(failing)):  # through SQLAlchemy, and straight on psycopg
        async with one_connection.connect() as conn:
            tx = Tx(cast("AsyncConnection", conn), uuid4(), Features(postgres=True, fts=True), "lana_app")
            with pytest.raises(Conflict, match=reason) as raised:
                await tx.write(statement)
            assert "retry" in raised.value.message


async def test_a_first_statement_refused_leaves_the_pooled_connection_clean(
    one_connection: AsyncEngine,
) -> None:
    """The first statement travels with BEGIN: its failure, in the driver or on the server,
    must still end that transaction before the connection returns to the pool."""
    factory = SqlUnitOfWorkFactory(one_connection)
    tenant = uuid4()
    refused = (
        builders.unstorable_customer(tenant, NOW),  # refused by the driver
        builders.customer(tenant, NOW),  # refused by the server: no such tenant
    )
    for customer in refused:
        with pytest.raises(ValidationError):
            async with factory(tenant) as uow:
                await uow.customers.add(customer)
        async with factory(tenant) as uow:  # the same, only, connection: not left aborted
            assert await uow.tenants.get(uuid4()) is None


async def test_a_role_the_schema_lacks_is_unavailable_and_says_so(one_connection: AsyncEngine) -> None:
    factory = SqlUnitOfWorkFactory(one_connection, app_role="lana_nobody")
    with pytest.raises(Unavailable, match="has the schema been migrated"):
        async with factory(uuid4()) as uow:
            await uow.tenants.get(uuid4())
