"""The adapter sets Lana's own contract run covers: memory first, then SQLite and PostgreSQL.

The suite itself ships in :mod:`lana_testing.contract`; a set is added here, or in an
adapter's own project (docs/architecture.md, "Adding an adapter").
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from lana_adapters.sql.webhooks import SqlWebhookDeliveryQueue
from lana_core.memory import ManualClock
from lana_testing.contract import IN_MEMORY, Adapters, AdapterSet
from tests.integration.sql.databases import (
    kernel_on,
    postgres_engine,
    postgres_unavailable,
    relay_on,
    sqlite_engine,
)


@asynccontextmanager
async def _sqlite(clock: ManualClock) -> AsyncIterator[Adapters]:
    async with sqlite_engine() as engine:
        yield Adapters(
            kernel=kernel_on(engine, clock),
            relay=relay_on(engine, clock),
            webhook_queue=SqlWebhookDeliveryQueue(engine, clock),
            clock=clock,
        )


@asynccontextmanager
async def _postgres(clock: ManualClock) -> AsyncIterator[Adapters]:
    async with postgres_engine() as engine:
        yield Adapters(
            kernel=kernel_on(engine, clock),
            relay=relay_on(engine, clock),
            webhook_queue=SqlWebhookDeliveryQueue(engine, clock),
            clock=clock,
        )


ADAPTER_SETS: list[AdapterSet] = [
    IN_MEMORY,
    AdapterSet("sqlite", _sqlite),
    AdapterSet("postgres", _postgres, marks=(pytest.mark.postgres,), unavailable=postgres_unavailable),
]
