"""The SQL unit of work: one connection, one transaction, one tenant."""

from __future__ import annotations

import asyncio
import contextlib
import time
from types import TracebackType
from uuid import UUID

from attrs import frozen
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from lana_adapters.sql.analytics import SqlAnalyticsStore
from lana_adapters.sql.api_keys import SqlApiKeyRepository
from lana_adapters.sql.customers import SqlCustomerRepository
from lana_adapters.sql.engine import EngineOptions, options_of
from lana_adapters.sql.errors import DRIVER_ERRORS, is_connection_lost, translate
from lana_adapters.sql.history import SqlAuditLog, SqlInsightRepository, SqlInteractionRepository
from lana_adapters.sql.import_jobs import SqlImportJobRepository
from lana_adapters.sql.outbox import SqlOutbox
from lana_adapters.sql.projects import SqlProjectRepository
from lana_adapters.sql.sessions import SqlSessionRepository
from lana_adapters.sql.settings import APP_ROLE
from lana_adapters.sql.tasks import SqlTaskRepository
from lana_adapters.sql.tenancy import SqlTenantRepository, SqlUserRepository
from lana_adapters.sql.tx import Features, Tx
from lana_adapters.sql.webhooks import SqlWebhookRepository
from lana_core.errors import LanaError
from lana_core.ports import (
    AnalyticsStore,
    ApiKeyRepository,
    AuditLog,
    CustomerRepository,
    ImportJobRepository,
    InsightRepository,
    InteractionRepository,
    Outbox,
    ProjectRepository,
    SessionRepository,
    TaskRepository,
    TenantRepository,
    UnitOfWorkFactory,
    UserRepository,
    WebhookRepository,
)

_HAS_FTS = text("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'customers_fts'")


@frozen(kw_only=True)
class Retries:
    """How a unit of work gets a usable connection: a connect that fails fast, or a pooled
    connection found dead by the round trip opening a transaction (see :class:`Tx`), is
    tried again up to ``attempts`` times in all, pausing ``first_pause_seconds``, then twice
    as long each time. A connect failing slower than ``slow_failure_seconds`` has waited
    out its own timeout and is not tried again. Nothing has run in the transaction then, so
    trying again is always safe; a failure later in a unit of work is the caller's to retry
    (see docs/persistence.md)."""

    attempts: int = 3
    first_pause_seconds: float = 0.05
    slow_failure_seconds: float = 1.0

    def pause(self, attempt: int) -> float:
        return self.first_pause_seconds * 2.0 ** (attempt - 1)


class SqlUnitOfWork:
    """A :class:`~lana_core.ports.UnitOfWork` on one pooled connection.

    The transaction begins with the first change (on PostgreSQL scoped to the tenant and
    the application role) and is rolled back on leaving the block unless :meth:`commit`
    was called; reads before the first change are transactions of their own (see
    :class:`Tx`). Raises Unavailable when no connection can be had.
    """

    __slots__ = (
        "_conn",
        "_database",
        "_engine",
        "_role",
        "_tenant_id",
        "_tx",
        "analytics",
        "api_keys",
        "audit",
        "customers",
        "import_jobs",
        "insights",
        "interactions",
        "outbox",
        "projects",
        "sessions",
        "tasks",
        "tenants",
        "users",
        "webhooks",
    )

    tenants: TenantRepository
    users: UserRepository
    sessions: SessionRepository
    api_keys: ApiKeyRepository
    webhooks: WebhookRepository
    customers: CustomerRepository
    projects: ProjectRepository
    tasks: TaskRepository
    interactions: InteractionRepository
    insights: InsightRepository
    import_jobs: ImportJobRepository
    audit: AuditLog
    outbox: Outbox
    analytics: AnalyticsStore

    def __init__(self, engine: AsyncEngine, tenant_id: UUID, database: _Database, role: str | None) -> None:
        self._engine = engine
        self._tenant_id = tenant_id
        self._database = database
        self._role = role
        self._conn: AsyncConnection | None = None
        self._tx: Tx | None = None

    async def __aenter__(self) -> SqlUnitOfWork:
        try:
            self._conn = await self._connect()
            features = await self._database.features(self._conn)
        except DRIVER_ERRORS as error:
            await self._release()
            raise translate(error) from error
        self._tx = tx = Tx(
            self._conn,
            self._tenant_id,
            features,
            self._role,
            queue=self._database.options.writers,
            session_scope=self._database.options.session_scope,
            reconnect=self._reconnect,
        )
        self.tenants = SqlTenantRepository(tx)
        self.users = SqlUserRepository(tx)
        self.sessions = SqlSessionRepository(tx)
        self.api_keys = SqlApiKeyRepository(tx)
        self.webhooks = SqlWebhookRepository(tx)
        self.customers = SqlCustomerRepository(tx)
        self.projects = SqlProjectRepository(tx)
        self.tasks = SqlTaskRepository(tx)
        self.interactions = SqlInteractionRepository(tx)
        self.import_jobs = SqlImportJobRepository(tx)
        self.insights = SqlInsightRepository(tx)
        self.audit = SqlAuditLog(tx)
        self.outbox = SqlOutbox(tx)
        self.analytics = SqlAnalyticsStore(tx)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._release()

    async def commit(self) -> None:
        """Make the changes durable; raises Conflict on a clash found at commit time."""
        await self._active().commit()

    async def rollback(self) -> None:
        await self._active().rollback()

    async def _connect(self) -> AsyncConnection:
        """A pooled connection; a connect that failed fast (server restarting, connection
        reset) is tried again after a short pause, up to ``retries.attempts`` times."""
        retries = self._database.retries
        for attempt in range(1, retries.attempts + 1):
            started = time.monotonic()
            try:
                return await self._engine.connect()
            except DRIVER_ERRORS as error:
                timed_out = time.monotonic() - started > retries.slow_failure_seconds
                if attempt == retries.attempts or timed_out or not is_connection_lost(error):
                    raise
            await asyncio.sleep(retries.pause(attempt))
        raise AssertionError("unreachable")

    async def _reconnect(self, attempt: int) -> AsyncConnection | None:
        """Drop the connection the ``attempt``-th round trip opening a transaction found lost
        for a fresh one, after a pause; None once every attempt was made (see :class:`Tx`)."""
        retries = self._database.retries
        if attempt >= retries.attempts:
            return None
        await asyncio.sleep(retries.pause(attempt))
        lost, self._conn = self._conn, None
        if lost is not None:
            with contextlib.suppress(*DRIVER_ERRORS):
                await lost.invalidate()
        try:
            self._conn = await self._connect()
        except DRIVER_ERRORS as error:
            raise translate(error) from error
        return self._conn

    async def _release(self) -> None:
        conn, tx, self._conn, self._tx = self._conn, self._tx, None, None
        if conn is None:
            return
        try:
            if tx is not None:
                await tx.leave()
            await conn.close()
        except (*DRIVER_ERRORS, LanaError):
            # The transaction could not be ended: the connection is dropped, and the server
            # rolls back with it (a unit that only read had nothing to keep).
            await conn.invalidate()

    def _active(self) -> Tx:
        if self._tx is None:
            raise RuntimeError("use the unit of work inside 'async with'")
        return self._tx


class SqlUnitOfWorkFactory:
    """Opens a :class:`SqlUnitOfWork` per tenant on a shared engine.

    ``engine`` comes from :func:`~lana_adapters.sql.engine.create_engine_from` (another
    raises ValueError). ``app_role`` is the PostgreSQL role transactions run as (None: the
    login role). On SQLite, writers queue for the write lock (see
    :mod:`lana_adapters.sql.writers`) for at most the engine's busy timeout, then fail with
    Unavailable. ``retries`` bounds the tries for a usable connection.
    """

    __slots__ = ("_database", "_engine", "_role")

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        app_role: str | None = APP_ROLE,
        retries: Retries | None = None,
    ) -> None:
        options = options_of(engine)
        self._engine = engine
        self._role = app_role if options.postgres else None
        self._database = _Database(options, retries or Retries())

    def __call__(self, tenant_id: UUID) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._engine, tenant_id, self._database, self._role)


class _Database:
    """What the units of work of one engine share: the engine's options, the retries, and
    the database's features, learnt on first use (SQLite has the FTS5 table only where it
    was built with FTS5)."""

    __slots__ = ("_known", "options", "retries")

    def __init__(self, options: EngineOptions, retries: Retries) -> None:
        self._known: Features | None = Features(postgres=True, fts=True) if options.postgres else None
        self.options = options
        self.retries = retries

    async def features(self, conn: AsyncConnection) -> Features:
        if self._known is None:
            has_fts = bool((await conn.execute(_HAS_FTS)).scalar())
            self._known = Features(postgres=False, fts=has_fts)
        return self._known


def _satisfies_the_port(factory: SqlUnitOfWorkFactory) -> UnitOfWorkFactory:
    """Never called: mypy checks here that the factory, its unit of work and every
    repository satisfy the core's Protocols exactly."""
    return factory
