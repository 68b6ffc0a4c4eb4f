"""Contract fixtures: each test gets adapters from every set in ``ADAPTER_SETS``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lana_core.memory import ManualClock
from lana_core.ports import OutboxRelayStore
from lana_core.usecases._base import Kernel
from tests.contract.adapter_sets import Adapters, AdapterSet, adapter_params


@pytest.fixture(params=adapter_params())
def adapter_set(request: pytest.FixtureRequest) -> AdapterSet:
    adapter_set: AdapterSet = request.param
    return adapter_set


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
