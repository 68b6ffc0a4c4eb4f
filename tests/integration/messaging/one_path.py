"""``lana consume``'s one delivery path for a test: the consumer owing events to the webhook
subscriptions (the operator's routes among them) and the sender calling them, on a
database holding a tenant of its own, with retries fast enough for a test."""

from __future__ import annotations

import asyncio
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.messaging.inbox import Inbox, InMemoryInbox, SqlInbox
from lana_adapters.messaging.runtime import SubscriptionDatabase, WebhookWorkers
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.worker import WorkerStats
from lana_adapters.sql import SqlSettings, create_engine_from
from lana_adapters.sql.tables import webhook_deliveries
from lana_adapters.sql.uow import SqlUnitOfWorkFactory
from lana_core.domain.events import DomainEvent
from lana_core.domain.webhook_retries import RetrySchedule
from lana_core.memory import NoCache
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_testing.support import make_tenant
from tests.integration.messaging.events import event
from tests.integration.messaging.running import until
from tests.integration.sql.databases import sqlite_database

# Retries within a second, given up after ``give_up``.
FAST = RetrySchedule(
    first=timedelta(milliseconds=100), cap=timedelta(milliseconds=400), floor=timedelta(milliseconds=20)
)


def fast(give_up_after: timedelta) -> RetrySchedule:
    return RetrySchedule(first=FAST.first, cap=FAST.cap, floor=FAST.floor, give_up_after=give_up_after)


class OnePath:
    """A :class:`~lana_adapters.messaging.runtime.WebhookWorkers` and the tenant its events are of."""

    def __init__(self, workers: WebhookWorkers, engine: AsyncEngine, kernel: Kernel, tenant_id: UUID) -> None:
        self.workers = workers
        self._schedule = workers.schedule
        self.engine = engine
        self.kernel = kernel
        self.tenant_id = tenant_id

    @property
    def stats(self) -> WorkerStats:
        return self.workers.stats

    async def run(self, stop: asyncio.Event) -> None:
        await self.workers.run(stop)

    def restarted(self, settings: MessagingSettings) -> OnePath:
        """``lana consume`` started anew on the same database (the inbox forgotten)."""
        workers = WebhookWorkers(
            settings,
            inbox=InMemoryInbox(),
            subscriptions=SubscriptionDatabase(self.engine, relay_role=None),
            schedule=self._schedule,
        )
        return OnePath(workers, self.engine, self.kernel, self.tenant_id)

    async def started(self) -> None:
        """Wait until the consumer's queue is declared: events published before reach nobody."""
        await until(lambda: self.stats.sessions >= 1)

    def event(self, **fields: Any) -> DomainEvent:
        """An event of this path's tenant."""
        return event(tenant_id=self.tenant_id, **fields)

    async def statuses(self) -> Counter[str]:
        """How many deliveries are in each status."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(webhook_deliveries.c.status))
            return Counter(row.status for row in rows)

    async def owed(self) -> Counter[str]:
        """How many deliveries each event has (one per subscription it is owed to)."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(webhook_deliveries.c.event_id))
            return Counter(str(row.event_id) for row in rows)


@asynccontextmanager
async def one_path(
    settings: MessagingSettings,
    *,
    database_url: str | None = None,
    directory: Path | None = None,
    inbox: Inbox | None = None,
    schedule: RetrySchedule = FAST,
) -> AsyncIterator[OnePath]:
    """The path on ``database_url``, or on a SQLite file in ``directory``; the inbox is the
    database's unless given."""
    assert database_url or directory, "a database or a directory for one"
    engine = create_engine_from(SqlSettings(url=database_url or sqlite_database(directory or Path())))
    kernel = Kernel(
        uow=SqlUnitOfWorkFactory(engine), clock=SystemClock(), ids=TimeOrderedIds(), cache=NoCache()
    )
    try:
        admin = await make_tenant(kernel, slug=f"t{secrets.token_hex(4)}")
        async with SqlInbox(engine) as own_inbox:
            workers = WebhookWorkers(
                settings,
                inbox=inbox or own_inbox,
                subscriptions=SubscriptionDatabase(engine, relay_role=None),
                schedule=schedule,
            )
            yield OnePath(workers, engine, kernel, admin.tenant_id)
    finally:
        await engine.dispose()
