"""Hypothesis profiles and the fixtures every test tier shares.

``HYPOTHESIS_PROFILE=ci`` runs many more examples; the default ``dev`` profile keeps a
local run fast.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from lana_core.domain.tenancy import Actor
from lana_core.memory import InMemoryStore, ManualClock
from lana_core.usecases._base import Kernel
from tests.support import START, make_kernel, make_tenant

settings.register_profile(
    "dev",
    max_examples=15,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def kernel(store: InMemoryStore, clock: ManualClock) -> Kernel:
    return make_kernel(store=store, clock=clock)


@pytest.fixture
async def admin(kernel: Kernel) -> Actor:
    """The admin of a fresh tenant ``acme``."""
    return await make_tenant(kernel)
