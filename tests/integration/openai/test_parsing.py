"""Untrusted model output: whatever arrives is either a valid draft or a reasoned Unavailable."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lana_adapters.openai.parsing import parse_completion
from lana_core.domain.insights import InsightDraft
from lana_core.errors import Unavailable
from tests.integration.openai.fake_server import VALID_ANSWER, Reply

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-1_000, 1_000)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
signals = st.fixed_dictionaries(
    {"name": st.text(max_size=90), "detail": st.text(max_size=20), "weight": st.integers(-150, 150)}
)
# Values near each field's bounds, so examples reach the checks on either side of them.
near_bounds = {
    "health_score": st.integers(-20, 120) | st.floats(0, 100),
    "churn_risk": st.sampled_from(["low", "medium", "high", "HIGH", "severe", ""]),
    "summary": st.text(max_size=40) | st.sampled_from(["", "x" * 2_000, "x" * 2_001]),
    "recommendations": st.lists(st.text(max_size=20) | st.just("y" * 501), max_size=12),
    "signals": st.lists(signals, max_size=3) | st.lists(signals, min_size=21, max_size=21),
}


@st.composite
def answers(draw: st.DrawFn) -> dict[str, Any]:
    answer = dict(VALID_ANSWER)
    for key in draw(st.sets(st.sampled_from(sorted(answer)), max_size=2)):
        answer[key] = draw(near_bounds[key] | json_values)
    if draw(st.integers(0, 9)) == 0:
        answer[draw(st.sampled_from(["extra", "summary"]))] = draw(json_values)
    if draw(st.integers(0, 9)) == 0:
        del answer[draw(st.sampled_from(sorted(answer)))]
    return answer


def outcome(body: bytes) -> InsightDraft | str:
    try:
        return parse_completion(body, default_model="m")
    except Unavailable as exc:
        return exc.message


@given(answer=answers())
def test_any_answer_is_a_valid_draft_or_invalid_output(answer: dict[str, Any]) -> None:
    result = outcome(Reply.completion(json.dumps(answer)).body)

    if isinstance(result, str):
        assert result.startswith("invalid_output: ")
    else:
        assert result.validate() is result
        assert 0 <= result.health_score <= 100
        assert all(abs(signal.weight) <= 100 and 0 < len(signal.name) <= 80 for signal in result.signals)


@given(body=st.binary(max_size=200) | json_values.map(lambda value: json.dumps(value).encode()))
def test_a_body_that_is_not_a_completion_is_invalid_output(body: bytes) -> None:
    with pytest.raises(Unavailable, match=r"^invalid_output: "):
        parse_completion(body, default_model="m")


def test_reason_never_echoes_what_the_model_wrote() -> None:
    answer = {**VALID_ANSWER, "ada.lovelace@example.com": "+442079460018"}

    with pytest.raises(Unavailable) as raised:
        parse_completion(Reply.completion(json.dumps(answer)).body, default_model="m")

    assert raised.value.message == "invalid_output: fields missing: none; unexpected: 1"
