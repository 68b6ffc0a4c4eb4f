"""Insight model adapter for OpenAI and OpenAI-compatible servers (vLLM, Ollama)."""

from lana_adapters.openai.model import OpenAIInsightModel
from lana_adapters.openai.settings import OpenAISettings

__all__ = ["OpenAIInsightModel", "OpenAISettings"]
