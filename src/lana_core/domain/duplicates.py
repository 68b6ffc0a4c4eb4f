"""Likely duplicate customers: pairs that share an email, a phone, or a similar name at one company.

Every adapter hands over the same :class:`MatchKey` rows and this module scores them, so
memory, SQLite and PostgreSQL find exactly the same pairs with exactly the same scores.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from difflib import SequenceMatcher
from itertools import combinations
from uuid import UUID

from attrs import frozen

from lana_core.domain.choices import Choice
from lana_core.domain.pagination import Cursor, Page, PageRequest, invalid_cursor

# Names at least this similar (difflib ratio of the normalised names) count as "similar".
NAME_SIMILARITY = 0.85
# Names are compared only within a block sharing this many leading characters: pairs
# across blocks are never similar enough to matter, and blocking keeps the work near O(n).
_BLOCK_PREFIX = 3
_NOT_NAME = re.compile(r"[^0-9a-z]+")


class DuplicateReason(Choice, field="reason"):
    SAME_EMAIL = "same_email"
    SAME_PHONE = "same_phone"
    SIMILAR_NAME_AND_COMPANY = "similar_name_and_company"


# How much each reason alone makes a pair a duplicate; reasons combine as independent
# evidence: score = 1 - Π(1 - weight).
_WEIGHTS = {
    DuplicateReason.SAME_EMAIL: 0.9,
    DuplicateReason.SAME_PHONE: 0.8,
    DuplicateReason.SIMILAR_NAME_AND_COMPANY: 0.6,
}


@frozen(kw_only=True)
class MatchKey:
    """What duplicate detection reads of a live customer."""

    id: UUID
    name: str
    email: str | None
    phone: str | None
    company: str | None


@frozen(kw_only=True)
class DuplicatePair:
    """Two customers that are likely one; ``first_id`` < ``second_id``; ``score`` in (0, 1]."""

    first_id: UUID
    second_id: UUID
    score: float
    reasons: tuple[DuplicateReason, ...]


def normalised_email(email: str | None) -> str | None:
    """Lower case, without a ``+tag`` in the local part: ``Ann+crm@x.io`` → ``ann@x.io``."""
    if not email:
        return None
    local, _, domain = email.lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def phone_digits(phone: str | None) -> str | None:
    """The digits only; None when there are none."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits or None


def normalised_name(text: str | None) -> str:
    """Lower-case letters and digits only: ``"Ann  O'Neil"`` → ``"annoneil"``."""
    return _NOT_NAME.sub("", (text or "").lower())


def names_similar(first: str, second: str) -> bool:
    """Whether two normalised names are at least :data:`NAME_SIMILARITY` alike."""
    if not first or not second:
        return False
    return SequenceMatcher(None, first, second).ratio() >= NAME_SIMILARITY


def find_pairs(keys: Iterable[MatchKey]) -> list[DuplicatePair]:
    """Every likely duplicate pair, highest score first (ties: by ids)."""
    reasons: dict[tuple[UUID, UUID], set[DuplicateReason]] = defaultdict(set)
    rows = list(keys)
    for reason, group in _groups(rows):
        for first, second in combinations(sorted(group), 2):
            reasons[(first, second)].add(reason)
    pairs = [_pair(ids, found) for ids, found in reasons.items()]
    return sorted(pairs, key=_order)


def page_of_pairs(pairs: Sequence[DuplicatePair], page: PageRequest) -> Page[DuplicatePair]:
    """One page of ``pairs`` (in :func:`find_pairs` order) after ``page.after``."""
    start = 0
    if page.after is not None:
        position = _position(page.after)
        start = next((i for i, pair in enumerate(pairs) if _order(pair) > position), len(pairs))
    chunk = pairs[start : start + page.limit]
    more = start + page.limit < len(pairs)
    if not more or not chunk:
        return Page(items=chunk, next_cursor=None)
    last = chunk[-1]
    after = Cursor.after([last.score, str(last.second_id)], last.first_id)
    return Page(items=chunk, next_cursor=after.encode())


def _groups(rows: Sequence[MatchKey]) -> Iterable[tuple[DuplicateReason, list[UUID]]]:
    by_email: dict[str, list[UUID]] = defaultdict(list)
    by_phone: dict[str, list[UUID]] = defaultdict(list)
    by_block: dict[tuple[str, str], list[MatchKey]] = defaultdict(list)
    for row in rows:
        if (email := normalised_email(row.email)) is not None:
            by_email[email].append(row.id)
        if (digits := phone_digits(row.phone)) is not None:
            by_phone[digits].append(row.id)
        name, company = normalised_name(row.name), normalised_name(row.company)
        if name and company:
            by_block[(company, name[:_BLOCK_PREFIX])].append(row)
    yield from ((DuplicateReason.SAME_EMAIL, ids) for ids in by_email.values() if len(ids) > 1)
    yield from ((DuplicateReason.SAME_PHONE, ids) for ids in by_phone.values() if len(ids) > 1)
    for block in by_block.values():
        for first, second in combinations(block, 2):
            if names_similar(normalised_name(first.name), normalised_name(second.name)):
                yield DuplicateReason.SIMILAR_NAME_AND_COMPANY, [first.id, second.id]


def _pair(ids: tuple[UUID, UUID], found: set[DuplicateReason]) -> DuplicatePair:
    missing = 1.0
    for reason in found:
        missing *= 1 - _WEIGHTS[reason]
    reasons = tuple(reason for reason in DuplicateReason if reason in found)
    return DuplicatePair(first_id=ids[0], second_id=ids[1], score=round(1 - missing, 4), reasons=reasons)


def _order(pair: DuplicatePair) -> tuple[float, str, str]:
    return (-pair.score, str(pair.first_id), str(pair.second_id))


def _position(cursor: Cursor) -> tuple[float, str, str]:
    try:
        score, second = cursor.key
        return (-float(score), str(cursor.id), str(UUID(str(second))))
    except (TypeError, ValueError) as error:
        raise invalid_cursor() from error
