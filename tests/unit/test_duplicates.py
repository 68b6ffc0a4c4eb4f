"""Duplicate scoring: what counts as the same email, phone or name, how reasons combine, paging."""

from __future__ import annotations

from uuid import UUID

import pytest

from lana_core.domain.duplicates import (
    DuplicateReason,
    MatchKey,
    find_pairs,
    normalised_email,
    page_of_pairs,
    phone_digits,
)
from lana_core.domain.pagination import Cursor, PageRequest
from lana_core.errors import ValidationError


def _key(n: int, name: str = "", **fields: str | None) -> MatchKey:
    return MatchKey(
        id=UUID(int=n),
        name=name or f"Person {n}",
        email=fields.get("email"),
        phone=fields.get("phone"),
        company=fields.get("company"),
    )


def test_emails_compare_without_case_or_a_plus_tag() -> None:
    assert normalised_email("Ada+CRM@Example.com") == normalised_email("ada@example.com")
    assert normalised_email("ada@example.com") != normalised_email("ada@example.org")


def test_phones_compare_by_their_digits() -> None:
    assert phone_digits("+44 (20) 7946-0000") == phone_digits("442079460000")


def test_reasons_combine_as_independent_evidence() -> None:
    pairs = find_pairs(
        [
            _key(1, email="ada@x.io", phone="+1 555 0100"),
            _key(2, email="ADA@x.io", phone="15550100"),
            _key(3, email="ada+news@x.io"),
        ]
    )

    scores = {(p.first_id.int, p.second_id.int): (p.score, p.reasons) for p in pairs}
    assert scores[(1, 2)] == (0.98, (DuplicateReason.SAME_EMAIL, DuplicateReason.SAME_PHONE))
    assert scores[(1, 3)] == (0.9, (DuplicateReason.SAME_EMAIL,))
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)


def test_similar_names_count_only_at_one_company() -> None:
    pairs = find_pairs(
        [
            _key(1, "Ada Lovelace", company="Engines Ltd"),
            _key(2, "Ada Lovelace.", company="engines ltd"),
            _key(3, "Ada Lovelace", company="Other"),
            _key(4, "Ada Lovelace"),
        ]
    )

    assert [(p.first_id.int, p.second_id.int, p.reasons) for p in pairs] == [
        (1, 2, (DuplicateReason.SIMILAR_NAME_AND_COMPANY,))
    ]


def test_pages_follow_one_another_without_gaps_or_repeats() -> None:
    pairs = find_pairs([_key(n, phone="+1 555 0100") for n in range(1, 6)])  # 10 pairs
    seen, cursor = [], None
    while True:
        page = page_of_pairs(pairs, PageRequest.of(3, cursor))
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break

    assert seen == pairs


def test_a_cursor_of_another_list_is_refused() -> None:
    foreign = Cursor("2026-01-01T00:00:00+00:00", UUID(int=1))

    with pytest.raises(ValidationError):
        page_of_pairs([], PageRequest(after=foreign))
