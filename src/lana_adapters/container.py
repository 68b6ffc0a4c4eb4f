"""The composition root: every adapter Lana runs on, chosen from :class:`Settings`.

Drivers build one :class:`Container`, call :func:`start` once and :func:`stop` at exit.
Tests override providers (``container.database.override(providers.Object(...))``) before
starting it.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast
from uuid import UUID

from attrs import frozen
from dependency_injector import containers, providers

from lana_adapters.embedded_relay import open_embedded_relay
from lana_adapters.phones import E164Phones

# Runtime imports: Litestar resolves the annotations of Services when it injects them.
from lana_adapters.redis.stream import EventStream
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

    from lana_adapters.redis import RedisAdapters
    from lana_adapters.sql import SqlSettings

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
        with dead_letter_gauge(os.environ, metrics):
            yield telemetry
    finally:
        telemetry.flush()


async def open_database(settings: Settings, metrics: LanaMetrics | None = None) -> AsyncIterator[Database]:
    """The database named by ``LANA_DATABASE_URL``; an embedded SQLite file gets its schema on first use.

    ``memory://`` keeps everything in this process. Raises ValueError for an unsupported
    URL, Unavailable when the database cannot be reached.
    """
    if settings.database_url.startswith(MEMORY_URL):
        yield Database.in_memory()
        return
    from lana_adapters.sql import SqlOutboxRelayStore, SqlUnitOfWorkFactory, create_engine_from, ensure_schema
    from lana_adapters.telemetry.outbox import outbox_gauges
    from lana_adapters.telemetry.sql import trace_sql

    sql = sql_settings(settings)
    engine = create_engine_from(sql)
    trace_sql(engine)
    try:
        if engine.dialect.name == "sqlite":
            await ensure_schema(engine, app_role=sql.app_role, relay_role=sql.relay_role)
        uow = SqlUnitOfWorkFactory(engine, app_role=sql.app_role)
        relay_store = SqlOutboxRelayStore(engine, role=sql.relay_role)
        with outbox_gauges(engine, metrics):
            yield Database(uow=uow, probe=EngineProbe(engine), relay_store=relay_store)
    finally:
        await engine.dispose()


def sql_settings(settings: Settings) -> SqlSettings:
    """The SQL adapter's view of the settings."""
    from lana_adapters.sql import SqlSettings

    return SqlSettings(
        url=settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_timeout_seconds=settings.database_pool_timeout_seconds,
        statement_timeout_ms=settings.database_statement_timeout_ms,
        connect_timeout_seconds=settings.database_connect_timeout_seconds,
        busy_timeout_ms=settings.database_busy_timeout_ms,
        pool_pre_ping=settings.database_pool_pre_ping,
        app_role=settings.database_app_role or None,
        relay_role=settings.database_relay_role or None,
        session_scope=settings.database_session_scope,
    )


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
    if not settings.openai_api_key:
        yield None
        return
    from lana_adapters.openai import OpenAIInsightModel, OpenAISettings

    model = OpenAIInsightModel(
        OpenAISettings.checked(
            api_key=settings.openai_api_key,
            model=settings.openai_model,
            base_url=settings.openai_base_url,
            timeout_seconds=settings.openai_timeout_seconds,
            max_retries=settings.openai_max_retries,
            send_contact_details=settings.openai_send_contact_details,
            max_output_tokens=settings.openai_max_output_tokens,
        )
    )
    try:
        yield (
            model if metrics is None else CountingModel(model, metrics, requested_model=settings.openai_model)
        )
    finally:
        await model.aclose()


async def open_redis(settings: Settings) -> AsyncIterator[RedisAdapters | None]:
    """Every Redis adapter on one client when ``LANA_REDIS_URL`` is set; otherwise None (in-process)."""
    if not settings.redis_url:
        yield None
        return
    from lana_adapters.redis import RedisSettings, redis_adapters

    redis_settings = RedisSettings.from_env({**os.environ, "LANA_REDIS_URL": settings.redis_url})
    assert redis_settings is not None
    async with redis_adapters(redis_settings) as adapters:
        yield adapters


def _shared_or_local(redis: RedisAdapters | None, pick: str, local: Any) -> Any:
    """The Redis adapter named ``pick`` when Redis is configured, else the in-process one."""
    return local() if redis is None else getattr(redis, pick)


def _event_stream(redis: RedisAdapters | None) -> EventStream:
    from lana_adapters.redis import InMemoryEventStream

    return InMemoryEventStream() if redis is None else redis.events


# The variable each checked insight option is read from, to name it when its value is refused.
_INSIGHT_VARIABLES = {
    "deadline_seconds": "LANA_INSIGHT_DEADLINE_SECONDS",
    "breaker_threshold": "LANA_INSIGHT_BREAKER_FAILURES",
    "breaker_cooldown_seconds": "LANA_INSIGHT_BREAKER_COOLDOWN_SECONDS",
}


def _insight_options(settings: Settings, metrics: LanaMetrics) -> InsightOptions:
    """The insight options of ``settings``; raises ValueError naming a variable whose value is refused."""
    try:
        return InsightOptions(
            deadline_seconds=settings.insight_deadline_seconds,
            breaker_threshold=settings.insight_breaker_failures,
            breaker_cooldown_seconds=settings.insight_breaker_cooldown_seconds,
            batch_concurrency=max(1, settings.insight_batch_concurrency),
            on_fallback=metrics.count_fallback,
        )
    except ValueError as error:
        # attrs' validators name the field in quotes in their message, not the variable.
        message = str(error.args[0]) if error.args else str(error)
        named = re.search(r"'(\w+)'", message)
        variable = _INSIGHT_VARIABLES.get(named.group(1) if named else "", "LANA_INSIGHT_*")
        raise ValueError(f"{variable}: {message}") from None


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
        phones=E164Phones(settings.phone_default_region),
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
    path = sqlite_file(settings.database_url)
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
    cache = providers.Singleton(_cache, settings, redis)
    hasher = providers.Singleton(Argon2Hasher)
    metrics = providers.Singleton(LanaMetrics)
    telemetry = providers.Resource(open_telemetry, settings, metrics)
    database = providers.Resource(open_database, settings, metrics)
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
        webhook_urls_may_be_private=settings.provided.webhook_allow_private,
    )
    idempotency = providers.Singleton(_shared_or_local, redis, "idempotency", InMemoryIdempotencyStore)
    rate_limiter = providers.Singleton(_shared_or_local, redis, "rate_limiter", InMemoryRateLimiter)
    event_stream = providers.Singleton(_event_stream, redis)
    embedded_relay = providers.Resource(open_embedded_relay, settings, database, event_stream)
    probes = providers.Singleton(_probes, database, redis)


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
        await _maybe_await(container.init_resources())
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
    "open_database",
    "open_telemetry",
    "open_insight_model",
    "resolve",
    "sql_settings",
    "start",
    "stop",
]
