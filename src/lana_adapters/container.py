"""The composition root: every adapter Lana runs on, chosen from :class:`Settings`.

Drivers build one :class:`Container`, call :func:`start` once and :func:`stop` at exit.
Tests override providers (``container.database.override(providers.Object(...))``) before
starting it.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, cast

from attrs import frozen
from dependency_injector import containers, providers

from lana_adapters.security import (
    AccessTokenRevocations,
    Argon2Hasher,
    IdempotencyStore,
    InMemoryIdempotencyStore,
    InMemoryRateLimiter,
    InMemoryTokenStore,
    RateLimiter,
    RefreshTokenStore,
)
from lana_adapters.settings import Settings
from lana_core.app import Lana
from lana_core.memory import InMemoryCache, InMemoryStore, InMemoryUnitOfWorkFactory
from lana_core.ports import Cache, Clock, IdFactory, InsightModel, PasswordHasher, UnitOfWorkFactory
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from lana_adapters.sql import SqlSettings

MEMORY_URL = "memory://"


class ReadinessProbe(Protocol):
    """One dependency the process needs to serve requests; ``name`` is what /health/ready reports."""

    @property
    def name(self) -> str: ...

    async def check(self) -> None:
        """Return when the dependency answers; raises Unavailable when it does not."""
        ...


@frozen
class AlwaysReady:
    """The probe of an adapter living in this process (nothing to reach)."""

    name: str

    async def check(self) -> None:
        return None


@frozen(kw_only=True)
class Database:
    """An opened store: the units of work on it and the probe that says whether it answers."""

    uow: UnitOfWorkFactory
    probe: ReadinessProbe

    @classmethod
    def in_memory(cls, store: InMemoryStore | None = None) -> Database:
        return cls(uow=InMemoryUnitOfWorkFactory(store or InMemoryStore()), probe=AlwaysReady("database"))


async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """The database named by ``LANA_DATABASE_URL``; an embedded SQLite file gets its schema on first use.

    ``memory://`` keeps everything in this process. Raises ValueError for an unsupported
    URL, Unavailable when the database cannot be reached.
    """
    if settings.database_url.startswith(MEMORY_URL):
        yield Database.in_memory()
        return
    from lana_adapters.sql import SqlUnitOfWorkFactory, create_engine_from, ensure_schema

    sql = sql_settings(settings)
    engine = create_engine_from(sql)
    try:
        if engine.dialect.name == "sqlite":
            await ensure_schema(engine, app_role=sql.app_role)
        # SqlUnitOfWork declares its repositories by concrete type, which the Protocol's
        # settable attributes do not accept; it satisfies the port at run time.
        uow = cast("UnitOfWorkFactory", SqlUnitOfWorkFactory(engine, app_role=sql.app_role))
        yield Database(uow=uow, probe=EngineProbe(engine))
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
        app_role=settings.database_app_role or None,
    )


class EngineProbe:
    """Readiness of a SQL database: one ``SELECT 1`` on a pooled connection."""

    __slots__ = ("_engine",)

    name = "database"

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


async def open_insight_model(settings: Settings) -> AsyncIterator[InsightModel | None]:
    """The OpenAI-compatible model when ``LANA_OPENAI_API_KEY`` is set; otherwise None (rules only)."""
    if not settings.openai_api_key:
        yield None
        return
    from lana_adapters.openai import OpenAIInsightModel, OpenAISettings

    model = OpenAIInsightModel(
        OpenAISettings(
            api_key=settings.openai_api_key,
            model=settings.openai_model,
            base_url=settings.openai_base_url,
            timeout_seconds=settings.openai_timeout_seconds,
            max_retries=settings.openai_max_retries,
            send_contact_details=settings.openai_send_contact_details,
        )
    )
    try:
        yield model
    finally:
        await model.aclose()


def _kernel(database: Database, clock: Clock, ids: IdFactory, cache: Cache) -> Kernel:
    return Kernel(uow=database.uow, clock=clock, ids=ids, cache=cache)


def _probes(database: Database) -> tuple[ReadinessProbe, ...]:
    return (database.probe,)


class Container(containers.DeclarativeContainer):
    """Providers of every adapter; resources (database, model client) open in :func:`start`."""

    settings = providers.Singleton(Settings.from_env)
    clock = providers.Singleton(SystemClock)
    ids = providers.Singleton(TimeOrderedIds)
    cache = providers.Singleton(InMemoryCache)
    hasher = providers.Singleton(Argon2Hasher)
    database = providers.Resource(open_database, settings)
    insight_model = providers.Resource(open_insight_model, settings)
    kernel = providers.Singleton(_kernel, database, clock, ids, cache)
    lana = providers.Singleton(Lana, kernel, hasher=hasher, insight_model=insight_model)
    tokens = providers.Singleton(InMemoryTokenStore)
    idempotency = providers.Singleton(InMemoryIdempotencyStore)
    rate_limiter = providers.Singleton(InMemoryRateLimiter)
    probes = providers.Singleton(_probes, database)


@frozen(kw_only=True)
class Services:
    """Everything a driver uses, resolved once at start-up."""

    settings: Settings
    lana: Lana
    clock: Clock
    hasher: PasswordHasher
    refresh_tokens: RefreshTokenStore
    revocations: AccessTokenRevocations
    idempotency: IdempotencyStore
    rate_limiter: RateLimiter
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
        tokens = await resolve(container.tokens)
        return Services(
            settings=await resolve(container.settings),
            lana=await resolve(container.lana),
            clock=await resolve(container.clock),
            hasher=await resolve(container.hasher),
            refresh_tokens=tokens,
            revocations=tokens,
            idempotency=await resolve(container.idempotency),
            rate_limiter=await resolve(container.rate_limiter),
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
    "open_insight_model",
    "resolve",
    "sql_settings",
    "start",
    "stop",
]
