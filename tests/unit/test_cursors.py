"""A cursor reads back the sort key it was issued for, and refuses a key it could not have issued."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lana_core.domain.pagination import Cursor, KeyKind
from lana_core.errors import ValidationError

_keys: st.SearchStrategy[tuple[KeyKind, object]] = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda key: (datetime, key)),
    st.dates().map(lambda key: (date, key)),
    st.text().map(lambda key: (str, key)),
    st.integers(min_value=-(2**53), max_value=2**53).map(lambda key: (int, key)),
)


@given(_keys, st.uuids())
def test_a_cursor_reads_back_the_key_and_id_it_was_issued_for(
    kind_and_key: tuple[KeyKind, object], id_: UUID
) -> None:
    kind, key = kind_and_key
    read = Cursor.decode(Cursor.after(key, id_).encode())
    assert (read.key_as(kind), read.id) == (key, id_)


@given(st.sampled_from([datetime, date, str, int]), st.uuids())
def test_a_missing_key_reads_back_as_missing(kind: KeyKind, id_: UUID) -> None:
    assert Cursor.decode(Cursor.after(None, id_).encode()).key_as(kind) is None


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        (datetime, "2026-01-01T00:00:00"),  # no zone: no cursor of ours says that
        (datetime, "yesterday"),
        (date, 20260101),
        (int, True),
        (int, "7"),
        (str, 7),
    ],
)
def test_a_key_of_the_wrong_shape_is_a_forged_cursor(kind: KeyKind, key: object) -> None:
    with pytest.raises(ValidationError) as refused:
        Cursor(key, uuid4()).key_as(kind)
    assert refused.value.errors[0].code == "invalid_cursor"
