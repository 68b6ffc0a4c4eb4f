"""Insight model adapter for OpenAI and OpenAI-compatible servers (vLLM, Ollama).

Names load on first use, so a process without a model configured never imports the
OpenAI library (nor pays for its memory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lana_adapters._lazy import lazy_attributes

if TYPE_CHECKING:
    from lana_adapters.openai.model import OpenAIInsightModel
    from lana_adapters.openai.settings import OpenAISettings

__all__ = ["OpenAIInsightModel", "OpenAISettings"]

_HOMES = {
    "OpenAIInsightModel": "lana_adapters.openai.model",
    "OpenAISettings": "lana_adapters.openai.settings",
}


__getattr__ = lazy_attributes(__name__, _HOMES)
