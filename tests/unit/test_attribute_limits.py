"""Attributes and event properties: flat JSON scalars, bounded by their encoded size."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from lana_core.domain import validation
from lana_core.domain.validation import MAX_ATTRIBUTES_BYTES
from lana_core.errors import ValidationError
from tests.strategies import lines_characters

_KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(lines_characters, max_size=3_000),
)


def _check(values: dict[str, object]) -> tuple[dict[str, object], list[str]]:
    errors = validation.Errors()
    cleaned: dict[str, object] = dict(validation.attributes(errors, "properties", values))
    try:
        errors.raise_if_any()
    except ValidationError as refused:
        return cleaned, [error.code for error in refused.errors]
    return cleaned, []


@given(st.dictionaries(_KEYS, _SCALARS, max_size=8))
def test_a_mapping_is_refused_exactly_when_its_json_is_too_large(values: dict[str, object]) -> None:
    cleaned, codes = _check(values)
    too_large = len(json.dumps(values, ensure_ascii=False).encode()) > MAX_ATTRIBUTES_BYTES
    assert ("too_large" in codes) is too_large
    assert cleaned == ({} if too_large else values)


def test_one_huge_integer_is_measured_not_guessed() -> None:
    _, codes = _check({"n": 10 ** (MAX_ATTRIBUTES_BYTES + 10)})
    assert codes == ["too_large"]


def test_escaped_characters_count_as_their_escapes() -> None:
    # Each '"' encodes as two bytes: under the limit in characters, over it in JSON.
    _, codes = _check({"text": '"' * (MAX_ATTRIBUTES_BYTES // 2)})
    assert codes == ["too_large"]
