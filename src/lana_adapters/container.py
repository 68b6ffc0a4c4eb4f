"""The composition root: every adapter Lana runs on, chosen from :class:`Settings`.

Every process builds its adapters here: the API (``lana serve`` and the ASGI app) and the
CLI commands call :func:`start` once and :func:`stop` at exit; ``lana relay`` and
``lana consume`` resolve the providers they need (the engine, the relay's store, the
inbox, the live stream) and :func:`stop` the container at exit. No process opens an
engine, a Redis client or a model client of its own. Tests override providers
(``container.database.override(providers.Object(...))``) before starting it.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast
from uuid import UUID

from attrs import frozen
from dependency_injector import containers, providers

from lana_adapters.embedded_relay import open_embedded_relay

# Runtime imports: Litestar resolves the annotations of Services when it injects them.
from lana_adapters.events_stream import EventStream
from lana_adapters.phones import E164Phones
from lana_adapters.security import (
    Argon2Hasher,
    IdempotencyStore,
    InMemoryIdempotencyStore,
    InMemoryRateLimiter,
    RateLimiter,
)
from lana_adapters.settings import Settings
from lana_adapters.telemetry import (
    CountingCache,
    CountingModel,
    LanaMetrics,
    Telemetry,
    configure_telemetry,
)
from lana_adapters.telemetry.usecases import trace_use_cases
from lana_core.app import Lana
from lana_core.memory import (
    InMemoryCache,
    InMemoryOutboxRelayStore,
    InMemoryStore,
    InMemoryUnitOfWorkFactory,
    NoCache,
)
from lana_core.ports import (
    ActivityCounters,
    Cache,
    Clock,
    IdFactory,
    InsightModel,
    OutboxRelayStore,
    PasswordHasher,
    UnitOfWorkFactory,
)
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._activity import NoActivityCounters
from lana_core.usecases._base import Kernel
from lana_core.usecases._insight_resilience import InsightOptions

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from lana_adapters.messaging.inbox import Inbox
    from lana_adapters.redis import RedisAdapters

MEMORY_URL = "memory://"


class ReadinessProbe(Protocol):
    """One dependency of the process; ``name`` is what /health/ready reports. Without a
    ``required`` one the process cannot serve; without another it serves, degraded."""

    @property
    def name(self) -> str: ...

    @property
    def required(self) -> bool: ...

    async def check(self) -> None:
        """Return when the dependency answers; raises Unavailable when it does not."""
        ...


@frozen
class AlwaysReady:
    """The probe of an adapter living in this process (nothing to reach)."""

    name: str
    required: bool = True

    async def check(self) -> None:
        return None


@frozen(kw_only=True)
class Database:
    """An opened store: the units of work on it and the probe that says whether it answers."""

    uow: UnitOfWorkFactory
    probe: ReadinessProbe
    relay_store: OutboxRelayStore
    # The SQL engine under them (None in memory): the consumer's inbox shares its pool.
    engine: AsyncEngine | None = None

    @classmethod
    def in_memory(cls, store: InMemoryStore | None = None) -> Database:
        store = store or InMemoryStore()
        return cls(
            uow=InMemoryUnitOfWorkFactory(store),
            probe=AlwaysReady("database"),
            relay_store=InMemoryOutboxRelayStore(store, SystemClock()),
        )


async def open_telemetry(settings: Settings, metrics: LanaMetrics) -> AsyncIterator[Telemetry]:
    """Tracing as the settings say, and the broker's DLQ gauge; exporters are flushed at shutdown
    (and stopped only at the process's exit: another container of this process may use them)."""
    from lana_adapters.telemetry.broker import dead_letter_gauge

    telemetry = configure_telemetry(settings)
    try:
        with dead_letter_gauge(settings.messaging, metrics):
            yield telemetry
    finally:
        telemetry.flush()


async def open_engine(settings: Settings) -> AsyncIterator[AsyncEngine | None]:
    """The SQL engine of ``LANA_DATABASE_*`` (every one of them: pool, timeouts, roles), traced;
    None for ``memory://``. An embedded SQLite file gets its schema on first use.

    Raises ValueError for an unsupported URL, Unavailable when the database cannot be reached.
    """
    if settings.database.url.startswith(MEMORY_URL):
        yield None
        return
    from lana_adapters.sql import create_engine_from, ensure_schema
    from lana_adapters.telemetry.sql import trace_sql

    sql = settings.database
    engine = create_engine_from(sql)
    trace_sql(engine)
    try:
        if engine.dialect.name == "sqlite":
            await ensure_schema(engine, app_role=sql.app_role, relay_role=sql.relay_role)
        yield engine
    finally:
        await engine.dispose()


async def open_database(
    settings: Settings, engine: AsyncEngine | None, metrics: LanaMetrics | None = None
) -> AsyncIterator[Database]:
    """The store on ``engine`` (in this process's memory without one), with the outbox gauges
    on ``metrics`` while open."""
    if engine is None:
        yield Database.in_memory()
        return
    from lana_adapters.sql import SqlOutboxRelayStore, SqlUnitOfWorkFactory
    from lana_adapters.sql.outbox_gauges import outbox_gauges

    sql = settings.database
    uow = SqlUnitOfWorkFactory(engine, app_role=sql.app_role)
    relay_store = SqlOutboxRelayStore(engine, role=sql.relay_role)
    with outbox_gauges(engine, metrics, sql.relay_role):
        yield Database(uow=uow, probe=EngineProbe(engine), relay_store=relay_store, engine=engine)


async def open_inbox(database: Database) -> AsyncIterator[Inbox]:
    """The consumer's inbox: the ``inbox`` table on the database's engine (its connections
    given back at stop), or this process's memory."""
    from lana_adapters.messaging.inbox import InMemoryInbox, SqlInbox

    if database.engine is None:
        yield InMemoryInbox()
        return
    async with SqlInbox(database.engine) as inbox:
        yield inbox


def migrate_schema(settings: Settings) -> bool:
    """Bring the SQL database of ``settings`` to the newest schema, row-level security granted
    to the configured roles (``LANA_DATABASE_APP_ROLE``, ``LANA_DATABASE_RELAY_ROLE``); False
    for an in-process database. Alembic runs on a synchronous engine of its own, for the
    length of the migration.

    Raises Unavailable when the database cannot be reached.
    """
    if settings.database.url.startswith(MEMORY_URL):
        return False
    from lana_adapters.sql import migrate

    sql = settings.database
    migrate(sql.url, app_role=sql.app_role, relay_role=sql.relay_role)
    return True


class EngineProbe:
    """Readiness of a SQL database: one ``SELECT 1`` on a pooled connection."""

    __slots__ = ("_engine",)

    name = "database"
    required = True

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def check(self) -> None:
        from sqlalchemy import text

        from lana_adapters.sql.errors import DRIVER_ERRORS, translate

        try:
            async with self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except DRIVER_ERRORS as error:
            raise translate(error) from error


async def open_insight_model(
    settings: Settings, metrics: LanaMetrics | None = None
) -> AsyncIterator[InsightModel | None]:
    """The OpenAI-compatible model when ``LANA_OPENAI_API_KEY`` is set; otherwise None (rules only)."""
    if not settings.openai.api_key:
        yield None
        return
    from lana_adapters.openai import OpenAIInsightModel

    model = OpenAIInsightModel(settings.openai)
    try:
        yield (
            model if metrics is None else CountingModel(model, metrics, requested_model=settings.openai.model)
        )
    finally:
        await model.aclose()


async def open_redis(settings: Settings) -> AsyncIterator[RedisAdapters | None]:
    """Every Redis adapter on one client when ``LANA_REDIS_URL`` is set; otherwise None (in-process)."""
    if not settings.redis.url:
        yield None
        return
    from lana_adapters.redis import redis_adapters

    async with redis_adapters(settings.redis) as adapters:
        yield adapters


def _shared_or_local(redis: RedisAdapters | None, pick: str, local: Any) -> Any:
    """The Redis adapter named ``pick`` when Redis is configured, else the in-process one."""
    return local() if redis is None else getattr(redis, pick)


def _event_stream(redis: RedisAdapters | None) -> EventStream:
    from lana_adapters.events_stream import InMemoryEventStream

    return InMemoryEventStream() if redis is None else redis.events


def _shared_event_stream(redis: RedisAdapters | None) -> EventStream | None:
    """The live stream other processes see (Redis pub/sub), or None without Redis: only the
    relay sees the events of a PostgreSQL deployment as they are published."""
    return None if redis is None else redis.events


def _insight_options(settings: Settings, metrics: LanaMetrics) -> InsightOptions:
    """The insight options of ``settings``, each fallback counted in ``metrics``."""
    return settings.insight.options(metrics.count_fallback)


def _kernel(
    database: Database,
    clock: Clock,
    ids: IdFactory,
    cache: Cache,
    metrics: LanaMetrics,
    *,
    settings: Settings,
    redis: RedisAdapters | None,
) -> Kernel:
    # Without Redis the analytics store answers "today" itself.
    counters: ActivityCounters = NoActivityCounters() if redis is None else redis.counters
    return Kernel(
        uow=database.uow,
        clock=clock,
        ids=ids,
        cache=CountingCache(cache, metrics),
        counters=counters,
        phones=E164Phones(settings.http.phone_default_region),
    )


def _traced_lana(kernel: Kernel, **parts: Any) -> Lana:
    return trace_use_cases(Lana(kernel, **parts))


def _cache(settings: Settings, redis: RedisAdapters | None) -> Cache:
    """The cache of the use cases: Redis's when configured; for a SQLite file, this process's
    memory with invalidations shared by every process on the host (see
    :mod:`lana_adapters.hostcache`); otherwise this process's memory alone."""
    from lana_adapters.hostcache import HostCache, HostGenerations

    if redis is not None:
        return redis.cache
    path = sqlite_file(settings.database.url)
    if path is None or not HostGenerations.available():
        return InMemoryCache()
    return HostCache(HostGenerations.beside(path))


def sqlite_file(database_url: str) -> str | None:
    """The absolute path of the SQLite file ``database_url`` names; None for any other database."""
    if database_url.startswith(MEMORY_URL):
        return None
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    path = url.database
    if url.get_backend_name() != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
        return None
    return os.path.abspath(path)


def _sessions_cache(cache: Cache, redis: RedisAdapters | None) -> Cache:
    """What sessions act as, cached only where every process sees every invalidation: another
    process (a second worker, a CLI command) may revoke a session or change a user, and the
    next request anywhere must see it. Otherwise each request reads the database. (Not
    counted in the cache metrics, which count the use cases' own reads.)"""
    from lana_adapters.hostcache import HostCache

    shared = redis is not None or isinstance(cache, HostCache)
    return cache if shared else NoCache()


def _probes(database: Database, redis: RedisAdapters | None) -> tuple[ReadinessProbe, ...]:
    return (database.probe,) if redis is None else (database.probe, redis.probe)


class Container(containers.DeclarativeContainer):
    """Providers of every adapter; resources (database, model client) open in :func:`start`."""

    settings = providers.Singleton(Settings.from_env)
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(TimeOrderedIds)
    redis = providers.Resource(open_redis, settings)
    # The stream the relay tees published events to; the API's own is ``event_stream``.
    shared_event_stream = providers.Singleton(_shared_event_stream, redis)
    cache = providers.Singleton(_cache, settings, redis)
    hasher = providers.Singleton(Argon2Hasher)
    metrics = providers.Singleton(LanaMetrics)
    telemetry = providers.Resource(open_telemetry, settings, metrics)
    engine = providers.Resource(open_engine, settings)
    migrations = providers.Callable(migrate_schema, settings)
    database = providers.Resource(open_database, settings, engine, metrics)
    # Opened by `lana consume` alone: :func:`start` opens what the API and the commands use.
    inbox = providers.Resource(open_inbox, database)
    insight_model = providers.Resource(open_insight_model, settings, metrics)
    kernel = providers.Singleton(
        _kernel, database, clock, ids, cache, metrics, settings=settings, redis=redis
    )
    insight_options = providers.Singleton(_insight_options, settings, metrics)
    sessions_cache = providers.Singleton(_sessions_cache, cache, redis)
    lana = providers.Singleton(
        _traced_lana,
        kernel,
        hasher=hasher,
        insight_model=insight_model,
        insight_options=insight_options,
        sessions_cache=sessions_cache,
        webhook_urls_may_be_private=settings.provided.messaging.webhook_allow_private,
    )
    idempotency = providers.Singleton(_shared_or_local, redis, "idempotency", InMemoryIdempotencyStore)
    rate_limiter = providers.Singleton(_shared_or_local, redis, "rate_limiter", InMemoryRateLimiter)
    event_stream = providers.Singleton(_event_stream, redis)
    embedded_relay = providers.Resource(open_embedded_relay, settings, database, event_stream)
    probes = providers.Singleton(_probes, database, redis)


def container_for(settings: Settings) -> Container:
    """A container on ``settings`` rather than the process environment."""
    container = Container()
    container.settings.override(providers.Object(settings))
    return container


class CounterRebuilder(Protocol):
    """The live counters' rebuild from the store (Redis's LiveCounters), named by what drivers
    use so that resolving Services never imports the Redis client."""

    async def rebuild_counters(self, tenant_id: UUID, uow_factory: UnitOfWorkFactory, days: int) -> None: ...


@frozen(kw_only=True)
class Services:
    """Everything a driver uses, resolved once at start-up."""

    settings: Settings
    lana: Lana
    clock: Clock
    hasher: PasswordHasher
    idempotency: IdempotencyStore
    rate_limiter: RateLimiter
    event_stream: EventStream
    counters: CounterRebuilder | None
    probes: Sequence[ReadinessProbe]


async def resolve(provider: Any) -> Any:
    """The provider's value, awaited when the provider is async (resources make their dependants async)."""
    value = provider()
    return await value if inspect.isawaitable(value) else value


async def start(container: Container) -> Services:
    """Open the container's resources and resolve the services drivers need.

    Raises Unavailable (database unreachable) or ValueError (bad settings); resources
    opened before the failure are closed again.
    """
    try:
        for resource in (container.telemetry, container.embedded_relay):
            await resolve(resource)
        redis = await resolve(container.redis)
        return Services(
            settings=await resolve(container.settings),
            lana=await resolve(container.lana),
            clock=await resolve(container.clock),
            hasher=await resolve(container.hasher),
            idempotency=await resolve(container.idempotency),
            rate_limiter=await resolve(container.rate_limiter),
            event_stream=await resolve(container.event_stream),
            counters=None if redis is None else redis.counters,
            probes=tuple(await resolve(container.probes)),
        )
    except BaseException:
        await stop(container)
        raise


async def stop(container: Container) -> None:
    """Close the container's resources (engine pools, model clients)."""
    await _maybe_await(container.shutdown_resources())


async def _maybe_await(result: object) -> None:
    if inspect.isawaitable(result):
        await cast("Any", result)


__all__ = [
    "MEMORY_URL",
    "AlwaysReady",
    "Container",
    "Database",
    "EngineProbe",
    "ReadinessProbe",
    "Services",
    "container_for",
    "migrate_schema",
    "open_database",
    "open_engine",
    "open_inbox",
    "open_insight_model",
    "open_redis",
    "open_telemetry",
    "resolve",
    "start",
    "stop",
]
