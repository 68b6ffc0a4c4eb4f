"""The fixtures every contract test takes, built from the ``adapter_set`` fixture the suite's
user defines (:func:`~lana_testing.contract.adapter_set_fixture`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lana_core.domain.tenancy import Actor
from lana_core.memory import ManualClock
from lana_core.ports import OutboxRelayStore, WebhookDeliveryQueue
from lana_core.usecases._base import Kernel
from lana_testing.contract.adapter_sets import Adapters, AdapterSet
from lana_testing.support import START, make_tenant

__all__ = ["adapters", "admin", "clock", "kernel", "relay", "webhook_queue"]


@pytest.fixture
def clock() -> ManualClock:
    """A clock standing at 2026-01-01T00:00Z until a test moves it."""
    return ManualClock(START)


@pytest.fixture
async def adapters(adapter_set: AdapterSet, clock: ManualClock) -> AsyncIterator[Adapters]:
    async with adapter_set.open(clock) as opened:
        yield opened


@pytest.fixture
def kernel(adapters: Adapters) -> Kernel:
    return adapters.kernel


@pytest.fixture
def relay(adapters: Adapters) -> OutboxRelayStore:
    return adapters.relay


@pytest.fixture
def webhook_queue(adapters: Adapters) -> WebhookDeliveryQueue:
    return adapters.webhook_queue


@pytest.fixture
async def admin(kernel: Kernel) -> Actor:
    """The admin of a fresh tenant ``acme``."""
    return await make_tenant(kernel)
