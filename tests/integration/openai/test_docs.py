"""docs/insights.md shows exactly what the adapter sends."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from lana_adapters.openai.prompt import prompt_payload
from lana_adapters.openai.schema import INSIGHT_SCHEMA
from lana_adapters.settings import settings_table
from tests.integration.openai.conftest import make_context

DOC = Path(__file__).parents[3] / "docs" / "insights.md"


def documented(block: str) -> Any:
    found = re.search(
        rf"<!-- {block}:start -->\s*```json\n(.*?)```\s*<!-- {block}:end -->", DOC.read_text(), re.S
    )
    assert found, f"no {block} block in {DOC}"
    return json.loads(found.group(1))


def test_documented_schema_is_the_one_sent() -> None:
    assert documented("schema") == INSIGHT_SCHEMA


def test_documented_example_message_is_what_the_prompt_builds() -> None:
    assert documented("payload") == prompt_payload(make_context(), send_contact_details=False)


def _same(shown: str, default: str) -> bool:
    try:
        return float(shown) == float(default)
    except ValueError:
        return shown.lower() == default.lower()


def test_documented_defaults_are_the_ones_in_effect() -> None:
    documented = dict(re.findall(r"^\| `(LANA_[A-Z_]+)` \| `([^`]+)` \|", DOC.read_text(), re.M))
    in_effect = {name: default for name, default, _ in settings_table() if default}
    assert "LANA_OPENAI_MAX_RETRIES" in documented
    for name, shown in documented.items():
        if name in in_effect:
            assert _same(shown, in_effect[name]), (
                f"docs/insights.md says {name} = {shown}, the code {in_effect[name]}"
            )
