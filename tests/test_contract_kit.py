"""An adapter's own project runs the shipped contract suite against its own adapter set, the
way docs/architecture.md shows: one conftest naming the set, one test module importing it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PYTEST_INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

CONFTEST = """\
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hypothesis import settings

from lana_core.memory import (
    InMemoryOutboxRelayStore,
    InMemoryStore,
    InMemoryWebhookDeliveryQueue,
    ManualClock,
)
from lana_testing.contract import Adapters, AdapterSet, adapter_set_fixture
from lana_testing.support import make_kernel

settings.register_profile("quick", max_examples=5, stateful_step_count=10, deadline=None)
settings.load_profile("quick")


@asynccontextmanager
async def open_mine(clock: ManualClock) -> AsyncIterator[Adapters]:
    store = InMemoryStore()
    relay_sees = RELAY_SEES
    yield Adapters(
        kernel=make_kernel(store=store, clock=clock),
        relay=InMemoryOutboxRelayStore(relay_sees, clock),
        webhook_queue=InMemoryWebhookDeliveryQueue(store, clock),
        clock=clock,
    )


adapter_set = adapter_set_fixture(AdapterSet("mine", open_mine))
"""

TESTS = "from lana_testing.contract.suite import *  # noqa: F403\n"


def _run_suite(project: Path, relay_sees: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    (project / "pytest.ini").write_text(PYTEST_INI)
    (project / "conftest.py").write_text(CONFTEST.replace("RELAY_SEES", relay_sees))
    (project / "test_lana_contract.py").write_text(TESTS)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", *arguments],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_an_adapter_project_runs_the_whole_shipped_suite_on_its_own_set(tmp_path: Path) -> None:
    result = _run_suite(tmp_path, "store", "-v")
    assert result.returncode == 0, result.stdout[-3000:]
    passed = [line for line in result.stdout.splitlines() if line.endswith("PASSED") or " PASSED " in line]
    assert len(passed) > 100
    assert all("[mine" in line for line in passed)


@pytest.mark.slow
def test_an_adapter_whose_relay_misses_committed_events_fails_the_outbox_contract(tmp_path: Path) -> None:
    # The relay reads another store than the one the units of work commit to.
    result = _run_suite(tmp_path, "InMemoryStore()", "-q", "-k", "outbox or relay")
    assert result.returncode == 1, result.stdout[-3000:]
    assert " failed" in result.stdout
