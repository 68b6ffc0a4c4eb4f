"""The JSON schema the model's answer must follow, sent as ``response_format`` in strict mode.

Strict structured outputs accept a subset of JSON Schema that differs between servers
(OpenAI, vLLM, Ollama), so the schema keeps to the common part: every property
required, ``additionalProperties: false``, the root object inlined, no ``$ref``. Bounds
on numbers and lengths are stated in descriptions; :mod:`lana_adapters.openai.parsing`
enforces them, because the answer is untrusted either way.
"""

from __future__ import annotations

from typing import Any

from openai.types.shared_params import ResponseFormatJSONSchema

from lana_core.domain.insights import (
    MAX_RECOMMENDATION_LENGTH,
    MAX_RECOMMENDATIONS,
    MAX_SIGNALS,
    MAX_SUMMARY_LENGTH,
    ChurnRisk,
)

SCHEMA_NAME = "customer_insight"
MAX_SIGNAL_NAME_LENGTH = 80
MAX_SIGNAL_DETAIL_LENGTH = 300
MAX_SIGNAL_WEIGHT = 100

_SIGNAL: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {
            "type": "string",
            "description": f"snake_case label, at most {MAX_SIGNAL_NAME_LENGTH} chars",
        },
        "detail": {
            "type": "string",
            "description": f"the observation in one sentence, at most {MAX_SIGNAL_DETAIL_LENGTH} chars",
        },
        "weight": {
            "type": "integer",
            "description": f"effect on the score, from -{MAX_SIGNAL_WEIGHT} to {MAX_SIGNAL_WEIGHT}",
        },
    },
    "required": ["name", "detail", "weight"],
    "additionalProperties": False,
}

INSIGHT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "health_score": {"type": "integer", "description": "0 (lost) to 100 (thriving)"},
        "churn_risk": {"type": "string", "enum": [risk.value for risk in ChurnRisk]},
        "summary": {
            "type": "string",
            "description": f"2 or 3 sentences, at most {MAX_SUMMARY_LENGTH} chars",
        },
        "recommendations": {
            "type": "array",
            "description": f"at most {MAX_RECOMMENDATIONS} next actions, each at most "
            f"{MAX_RECOMMENDATION_LENGTH} chars",
            "items": {"type": "string"},
        },
        "signals": {
            "type": "array",
            "description": f"at most {MAX_SIGNALS} observations the score rests on",
            "items": _SIGNAL,
        },
    },
    "required": ["health_score", "churn_risk", "summary", "recommendations", "signals"],
    "additionalProperties": False,
}


def response_format() -> ResponseFormatJSONSchema:
    """The ``response_format`` argument of a chat completion asking for an insight."""
    return {
        "type": "json_schema",
        "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": INSIGHT_SCHEMA},
    }
