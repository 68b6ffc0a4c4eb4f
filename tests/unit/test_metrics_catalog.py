"""The metrics a scrape shows are those docs/operations.md lists, under the same names and types."""

from __future__ import annotations

import re
from pathlib import Path

from lana_adapters.telemetry import LanaMetrics

DOCS = Path(__file__).parents[2] / "docs" / "operations.md"
_ROW = re.compile(r"^\| `(lana_[a-z_]+)(?:\{[a-z_,]*\})?` \| (counter|gauge|histogram) \|", re.M)
_TYPE = re.compile(r"^# TYPE (\S+) (\S+)$", re.M)


async def test_every_documented_metric_is_served_with_its_type_and_no_other() -> None:
    documented = dict(_ROW.findall(DOCS.read_text()))
    served = dict(_TYPE.findall(await LanaMetrics().registry.render()))
    assert served == documented
