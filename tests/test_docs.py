"""What the README and docs promise is what the code does."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from lana_adapters.settings import markdown_table
from lana_core.domain.customers import CustomerStatus
from lana_core.domain.insights import InsightSource

ROOT = Path(__file__).resolve().parent.parent


def _load_example() -> object:
    spec = importlib.util.spec_from_file_location("lana_docs_example", ROOT / "docs" / "example.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


async def test_library_example_builds_a_working_crm() -> None:
    example = _load_example()
    result = await example.tour()  # type: ignore[attr-defined]
    assert result.view.customer.email == "grace@navy.test"
    assert result.view.customer.status is CustomerStatus.ACTIVE
    assert result.view.project_stats.in_progress == 1
    assert result.view.task_stats.completion_rate == 1.0
    assert result.insight.source is InsightSource.RULES
    assert 0 <= result.insight.health_score <= 100
    assert result.search == ["Grace Hopper"]
    assert result.dashboard.total_customers == 2
    assert result.dashboard.high_value_customers == 1


def test_readme_configuration_table_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for row in markdown_table().splitlines():
        assert row in readme, f"README is missing the settings row {row!r}"
