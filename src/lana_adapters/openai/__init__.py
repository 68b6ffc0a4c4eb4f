"""Insight model adapter for OpenAI and OpenAI-compatible servers (vLLM, Ollama).

Names load on first use, so a process without a model configured never imports the
OpenAI library (about 16 MiB per process).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lana_adapters.openai.model import OpenAIInsightModel
    from lana_adapters.openai.settings import OpenAISettings

__all__ = ["OpenAIInsightModel", "OpenAISettings"]

_HOMES = {
    "OpenAIInsightModel": "lana_adapters.openai.model",
    "OpenAISettings": "lana_adapters.openai.settings",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
