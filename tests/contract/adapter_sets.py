"""The adapter sets the contract suite runs against; the in-memory set comes first.

Every test in ``tests/contract`` runs once per set. To run the suite against another
persistence adapter, append one entry to ``ADAPTER_SETS``::

    @asynccontextmanager
    async def _sqlite(clock: ManualClock) -> AsyncIterator[Adapters]:
        engine = create_async_engine("sqlite+aiosqlite:///:memory:")
        await create_schema(engine)
        uow = SqlUnitOfWorkFactory(engine)
        kernel = Kernel(uow=uow, clock=clock, ids=TimeOrderedIds(), cache=InMemoryCache())
        try:
            yield Adapters(kernel=kernel, relay=SqlOutboxRelayStore(engine, clock), clock=clock)
        finally:
            await engine.dispose()

    ADAPTER_SETS = [IN_MEMORY, AdapterSet("sqlite", _sqlite)]

A set that needs a server adds its marker and a check that names what is missing::

    AdapterSet("postgres", _postgres, marks=(pytest.mark.postgres,),
               unavailable=lambda: None if os.environ.get("LANA_TEST_POSTGRES_URL")
               else "set LANA_TEST_POSTGRES_URL to run the PostgreSQL contract")

What a set must do:
- ``open(clock)`` yields adapters over a store in which new tenants are empty (a fresh
  database, or a shared one: tests make a new tenant for each example);
- every time the adapters stamp (outbox leases) comes from ``clock``;
- it works on whichever event loop it is opened in: pytest's per-test loop, or the
  ``asyncio.Runner`` a state machine keeps for its whole run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from attrs import field, frozen

from lana_core.memory import InMemoryOutboxRelayStore, InMemoryStore, ManualClock
from lana_core.ports import OutboxRelayStore
from lana_core.usecases._base import Kernel
from tests.integration.sql.databases import (
    kernel_on,
    postgres_engine,
    postgres_unavailable,
    relay_on,
    sqlite_engine,
)
from tests.support import make_kernel


@frozen(kw_only=True)
class Adapters:
    """What a contract test drives: the kernel, the outbox as the relay sees it, and the clock."""

    kernel: Kernel
    relay: OutboxRelayStore
    clock: ManualClock


def _available() -> str | None:
    return None


@frozen
class AdapterSet:
    """A named way to build :class:`Adapters`; ``unavailable`` returns a skip reason, or None to run."""

    name: str
    open: Callable[[ManualClock], AbstractAsyncContextManager[Adapters]]
    marks: tuple[pytest.MarkDecorator, ...] = field(default=(), kw_only=True)
    unavailable: Callable[[], str | None] = field(default=_available, kw_only=True)

    def param(self) -> object:
        reason = self.unavailable()
        skip = (pytest.mark.skip(reason=reason),) if reason else ()
        return pytest.param(self, id=self.name, marks=(*self.marks, *skip))


@asynccontextmanager
async def _in_memory(clock: ManualClock) -> AsyncIterator[Adapters]:
    store = InMemoryStore()
    yield Adapters(
        kernel=make_kernel(store=store, clock=clock),
        relay=InMemoryOutboxRelayStore(store, clock),
        clock=clock,
    )


IN_MEMORY = AdapterSet("memory", _in_memory)


@asynccontextmanager
async def _sqlite(clock: ManualClock) -> AsyncIterator[Adapters]:
    async with sqlite_engine() as engine:
        yield Adapters(kernel=kernel_on(engine, clock), relay=relay_on(engine, clock), clock=clock)


@asynccontextmanager
async def _postgres(clock: ManualClock) -> AsyncIterator[Adapters]:
    async with postgres_engine() as engine:
        yield Adapters(kernel=kernel_on(engine, clock), relay=relay_on(engine, clock), clock=clock)


ADAPTER_SETS: list[AdapterSet] = [
    IN_MEMORY,
    AdapterSet("sqlite", _sqlite),
    AdapterSet("postgres", _postgres, marks=(pytest.mark.postgres,), unavailable=postgres_unavailable),
]


def adapter_params() -> list[object]:
    """``ADAPTER_SETS`` as pytest parameters, ids = set names, with their marks and skips."""
    return [adapter_set.param() for adapter_set in ADAPTER_SETS]
