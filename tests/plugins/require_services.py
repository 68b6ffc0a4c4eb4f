"""Turn a skipped service test into a failure when ``LANA_REQUIRE_SERVICES`` is set.

On a laptop without PostgreSQL, Redis or RabbitMQ those tests skip with a reason naming
the ``LANA_TEST_*`` variable to set (browser tests: without Chromium); in CI every one of
them must run.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

SERVICE_MARKERS = ("postgres", "redis", "rabbitmq", "browser")


def _is_service_test(item: pytest.Item, reason: str) -> bool:
    return "LANA_TEST_" in reason or any(item.get_closest_marker(m) for m in SERVICE_MARKERS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None]:
    outcome = yield
    report = outcome.get_result()
    if not os.environ.get("LANA_REQUIRE_SERVICES") or not report.skipped:
        return
    reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if _is_service_test(item, reason):
        report.outcome = "failed"
        report.longrepr = f"service test skipped while LANA_REQUIRE_SERVICES is set: {reason}"
