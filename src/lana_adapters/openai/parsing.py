"""Turn a chat-completion response body into a validated :class:`InsightDraft`.

Everything here is untrusted input: the server may not be OpenAI, and the model may
ignore the schema. Anything that does not check out raises ``Unavailable`` with a
short, stable reason (no model text in it, since that may echo personal data).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NoReturn

from lana_adapters.openai.schema import (
    INSIGHT_SCHEMA,
    MAX_SIGNAL_DETAIL_LENGTH,
    MAX_SIGNAL_NAME_LENGTH,
    MAX_SIGNAL_WEIGHT,
)
from lana_core.domain.insights import MAX_SIGNALS, ChurnRisk, InsightDraft, ModelUsage, Signal
from lana_core.errors import Unavailable, ValidationError

MAX_BODY_BYTES = 1_048_576
MAX_MODEL_NAME_LENGTH = 200
_ANSWER_KEYS = frozenset(INSIGHT_SCHEMA["required"])
_REFUSAL_FINISH_REASONS = frozenset({"content_filter"})


def parse_completion(body: bytes, *, default_model: str) -> InsightDraft:
    """The draft in a chat-completion response body.

    Raises Unavailable("refusal") when the model declined, and
    Unavailable("invalid_output: ...") when the body or the answer breaks the contract.
    """
    if len(body) > MAX_BODY_BYTES:
        too_large()
    completion = _json_object(body, "response body is not a JSON object")
    message, finish_reason = _first_choice(completion)
    if _refused(message, finish_reason):
        raise Unavailable("refusal")
    if finish_reason == "length":
        _invalid("answer truncated at the token limit")
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        _invalid("empty answer")
    draft = parse_answer(
        _json_object(content, "answer is not a JSON object"),
        model=_model_name(completion, default_model),
        usage=_usage(completion),
    )
    try:
        return draft.validate()
    except ValidationError as exc:
        _invalid("; ".join(error.message for error in exc.errors))


def parse_answer(answer: Mapping[str, Any], *, model: str, usage: ModelUsage) -> InsightDraft:
    """The draft in the model's decoded answer; raises Unavailable("invalid_output: ...")."""
    keys = set(answer)
    if keys != _ANSWER_KEYS:
        # Unexpected names come from the model, so they are counted, never echoed.
        missing = ", ".join(sorted(_ANSWER_KEYS - keys)) or "none"
        _invalid(f"fields missing: {missing}; unexpected: {len(keys - _ANSWER_KEYS)}")
    score = answer["health_score"]
    if isinstance(score, bool) or not isinstance(score, int):
        _invalid("health_score is not an integer")
    return InsightDraft(
        health_score=score,
        churn_risk=_churn_risk(answer["churn_risk"]),
        summary=_text(answer["summary"], "summary"),
        recommendations=tuple(_text(item, "recommendation") for item in _array(answer["recommendations"])),
        signals=_signals(answer["signals"]),
        model=model,
        usage=usage,
    )


def too_large() -> NoReturn:
    """Refuse a response body longer than :data:`MAX_BODY_BYTES`."""
    _invalid("response body too large")


def _invalid(detail: str) -> NoReturn:
    raise Unavailable(f"invalid_output: {detail}")


def _json_object(raw: bytes | str, problem: str) -> dict[str, Any]:
    try:
        decoded = json.loads(raw)
    except (ValueError, RecursionError):
        _invalid(problem)
    if not isinstance(decoded, dict):
        _invalid(problem)
    return decoded


def _first_choice(completion: Mapping[str, Any]) -> tuple[Mapping[str, Any], object]:
    choices = completion.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        _invalid("no choices in the response")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        _invalid("no message in the first choice")
    return message, choices[0].get("finish_reason")


def _refused(message: Mapping[str, Any], finish_reason: object) -> bool:
    refusal = message.get("refusal")
    return (isinstance(refusal, str) and bool(refusal.strip())) or finish_reason in _REFUSAL_FINISH_REASONS


def _model_name(completion: Mapping[str, Any], default: str) -> str:
    reported = completion.get("model")
    if isinstance(reported, str) and reported.strip() and len(reported) <= MAX_MODEL_NAME_LENGTH:
        return reported.strip()
    return default


def _usage(completion: Mapping[str, Any]) -> ModelUsage:
    usage = completion.get("usage")
    if not isinstance(usage, dict):
        return ModelUsage()
    return ModelUsage(
        prompt_tokens=_count(usage.get("prompt_tokens")),
        completion_tokens=_count(usage.get("completion_tokens")),
    )


def _count(value: object) -> int:
    # Token counts only feed the budget; a server that omits or garbles them counts as zero.
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _churn_risk(value: object) -> ChurnRisk:
    if not isinstance(value, str) or value not in ChurnRisk.__members__.values():
        _invalid("churn_risk is not low, medium or high")
    return ChurnRisk(value)


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        _invalid(f"{name} is not a string")
    return value.strip()


def _array(value: object) -> list[Any]:
    if not isinstance(value, list):
        _invalid("recommendations and signals must be arrays")
    return value


def _signals(value: object) -> tuple[Signal, ...]:
    items = _array(value)
    if len(items) > MAX_SIGNALS:
        _invalid(f"at most {MAX_SIGNALS} signals")
    return tuple(_signal(item) for item in items)


def _signal(item: object) -> Signal:
    if not isinstance(item, dict) or set(item) != {"name", "detail", "weight"}:
        _invalid("a signal is not an object of name, detail and weight")
    name, detail = _text(item["name"], "signal name"), _text(item["detail"], "signal detail")
    if not name or len(name) > MAX_SIGNAL_NAME_LENGTH or len(detail) > MAX_SIGNAL_DETAIL_LENGTH:
        _invalid(
            f"signal name is 1 to {MAX_SIGNAL_NAME_LENGTH} chars, detail {MAX_SIGNAL_DETAIL_LENGTH} at most"
        )
    weight = item["weight"]
    if isinstance(weight, bool) or not isinstance(weight, int) or abs(weight) > MAX_SIGNAL_WEIGHT:
        _invalid(f"signal weight must be an integer from -{MAX_SIGNAL_WEIGHT} to {MAX_SIGNAL_WEIGHT}")
    return Signal(name=name, detail=detail, weight=weight)
