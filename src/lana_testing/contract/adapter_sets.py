"""What the contract suite runs against: an :class:`AdapterSet` opens :class:`Adapters`.

A set must:

- open (``open(clock)``) adapters over a store in which new tenants are empty (a fresh
  database, or a shared one: tests make a new tenant for each example);
- stamp every time the adapters keep (outbox and webhook delivery leases) from ``clock``;
- work on whichever event loop it is opened in: pytest's per-test loop, or the
  ``asyncio.Runner`` the state machine keeps for its whole run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest
from attrs import field, frozen

from lana_core.memory import (
    InMemoryOutboxRelayStore,
    InMemoryStore,
    InMemoryWebhookDeliveryQueue,
    ManualClock,
)
from lana_core.ports import OutboxRelayStore, WebhookDeliveryQueue
from lana_core.usecases._base import Kernel
from lana_testing.support import make_kernel


@frozen(kw_only=True)
class Adapters:
    """What a contract test drives: the kernel, the outbox as the relay sees it, the webhook
    deliveries as the delivery worker sees them, and the clock."""

    kernel: Kernel
    relay: OutboxRelayStore
    webhook_queue: WebhookDeliveryQueue
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

    def param(self) -> Any:
        """This set as a pytest parameter: its name as the id, its marks, a skip when unavailable."""
        reason = self.unavailable()
        skip = (pytest.mark.skip(reason=reason),) if reason else ()
        return pytest.param(self, id=self.name, marks=(*self.marks, *skip))


@asynccontextmanager
async def _in_memory(clock: ManualClock) -> AsyncIterator[Adapters]:
    store = InMemoryStore()
    yield Adapters(
        kernel=make_kernel(store=store, clock=clock),
        relay=InMemoryOutboxRelayStore(store, clock),
        webhook_queue=InMemoryWebhookDeliveryQueue(store, clock),
        clock=clock,
    )


IN_MEMORY = AdapterSet("memory", _in_memory)


def adapter_set_fixture(*sets: AdapterSet) -> Any:
    """The ``adapter_set`` fixture: every contract test runs once per set (define it in a conftest)."""

    def adapter_set(request: pytest.FixtureRequest) -> AdapterSet:
        chosen: AdapterSet = request.param
        return chosen

    return pytest.fixture(params=[s.param() for s in sets], name="adapter_set")(adapter_set)
