"""The webhook filter language: what it prints it reads back as the same condition, and a
parsed condition judges a payload as a plain reading of the language would."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lana_core.domain.webhook_filters import Condition, Operator, all_hold, parse, parse_all
from lana_core.errors import ValidationError

_NAMES = st.sampled_from(["value", "status", "owner", "role", "x_1", "in", "not"])
_PATHS = st.lists(_NAMES, min_size=1, max_size=3).map(tuple)
# Values with spaces, commas, parentheses, quotes, backslashes and nothing at all.
_VALUES = st.text(alphabet='ab ,()"\\=!x1é', max_size=6) | st.sampled_from(["high", "null", "true", "1"])
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["high", "low", "a b", "", "1", "null"])
)


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    operator = draw(st.sampled_from(Operator))
    single = operator in (Operator.EQ, Operator.NE)
    values = draw(st.frozensets(_VALUES, min_size=1, max_size=1 if single else 4))
    return Condition(draw(_PATHS), operator, values)


def _payloads(depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    leaf = _SCALARS if depth == 0 else st.one_of(_SCALARS, st.deferred(lambda: _payloads(depth - 1)))
    return st.dictionaries(_NAMES, leaf, max_size=4)


def _naive(condition: Condition, payload: dict[str, Any]) -> bool:
    """The language read literally: walk the path, spell the value, look it up in the list."""
    value: Any = payload
    for step in condition.path:
        value = value.get(step) if isinstance(value, dict) else None
    member = _spelling(value) in condition.values
    return member if condition.operator in (Operator.EQ, Operator.IN) else not member


def _spelling(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@given(conditions())
def test_a_printed_condition_reads_back_as_itself(condition: Condition) -> None:
    assert parse(condition.render()) == condition


@given(st.lists(conditions(), max_size=5), _payloads())
def test_evaluation_agrees_with_a_literal_reading(found: list[Condition], payload: dict[str, Any]) -> None:
    parsed = parse_all([c.render() for c in found])

    assert all_hold(parsed, payload) == all(_naive(c, payload) for c in found)


@pytest.mark.parametrize(
    ("source", "payload", "holds"),
    [
        ("value = high", {"value": "high"}, True),
        ("value=high", {"value": "low"}, False),
        ("status in (active, prospect)", {"status": "prospect"}, True),
        ("status IN (active,prospect)", {"status": "lost"}, False),
        ("status not in (lost)", {}, True),
        ("status != lost", {"status": "lost"}, False),
        ('company = "Acme, Inc."', {"company": "Acme, Inc."}, True),
        ("owner.role = admin", {"owner": {"role": "admin"}}, True),
        ("owner.role = null", {"owner": "plain"}, True),
        ("count = 3", {"count": 3}, True),
        ("vip = true", {"vip": True}, True),
    ],
)
def test_conditions_as_a_user_writes_them(source: str, payload: dict[str, Any], holds: bool) -> None:
    assert parse(source).holds(payload) is holds


@pytest.mark.parametrize(
    "source", ["", "value", "value ~ high", "value = ", "in (a)", "status in ()", "a.b. = c", 'a = "open']
)
def test_what_is_not_a_condition_is_refused_with_its_place(source: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_all(["value = high", source])

    assert [e.field for e in refused.value.errors] == ["filters[1]"]
