"""Likely duplicate customers: pairs that share an email, a phone, or a similar name at one company.

Every adapter hands over the same :class:`MatchKey` rows and this module scores them, so
memory, SQLite and PostgreSQL find exactly the same pairs with exactly the same scores.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from difflib import SequenceMatcher
from itertools import combinations
from uuid import UUID

from attrs import define, field, frozen

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


@frozen
class DuplicateScan:
    """Every likely duplicate pair of a tenant at one moment, in :func:`find_pairs` order."""

    pairs: tuple[DuplicatePair, ...]


def normalised_email(email: str | None) -> str | None:
    """Lower case, without a ``+tag`` in the local part: ``Ann+crm@x.io`` → ``ann@x.io``."""
    if not email:
        return None
    local, _, domain = email.lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def phone_digits(phone: str | None) -> str | None:
    """The digits only; None when there are none."""
    if not phone:
        return None
    # Stored phones are E.164 (``+`` and digits): skip the per-character walk for them.
    if phone.isdigit():
        return phone
    if phone[0] == "+" and phone[1:].isdigit():
        return phone[1:]
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits or None


def normalised_name(text: str | None) -> str:
    """Lower-case letters and digits only: ``"Ann  O'Neil"`` → ``"annoneil"``."""
    return _NOT_NAME.sub("", (text or "").lower())


def names_similar(first: str, second: str) -> bool:
    """Whether two normalised names are at least :data:`NAME_SIMILARITY` alike: the difflib
    ratio of ``first`` against ``second`` (it can differ from ``second`` against ``first``,
    so a pair compares the name of its lower id first)."""
    if not first or not second:
        return False
    return SequenceMatcher(None, first, second).ratio() >= NAME_SIMILARITY


def find_pairs(keys: Iterable[MatchKey]) -> list[DuplicatePair]:
    """Every likely duplicate pair, highest score first (ties: by ids)."""
    reasons: dict[tuple[UUID, UUID], set[DuplicateReason]] = defaultdict(set)
    for reason, pairs in _reasoned_pairs(_Groups.of(keys)):
        for ids in pairs:
            reasons[ids].add(reason)
    found = [_pair(ids, why) for ids, why in reasons.items()]
    return sorted(found, key=_order)


def page_of_pairs(pairs: Sequence[DuplicatePair], page: PageRequest) -> Page[DuplicatePair]:
    """One page of ``pairs`` (in :func:`find_pairs` order) after ``page.after``."""
    start = 0 if page.after is None else bisect_right(pairs, _position(page.after), key=_order)
    chunk = pairs[start : start + page.limit]
    more = start + page.limit < len(pairs)
    if not more or not chunk:
        return Page(items=chunk, next_cursor=None)
    last = chunk[-1]
    after = Cursor.after([last.score, str(last.second_id)], last.first_id)
    return Page(items=chunk, next_cursor=after.encode())


def similar_name_pairs(block: Sequence[tuple[UUID, str]]) -> Iterator[tuple[UUID, UUID]]:
    """The (lower id, higher id) pairs of ``block``'s (id, normalised name) whose names are
    :func:`names_similar`, the name of the lower id first.

    The same pairs as comparing every two, with less work: customers of one name are
    similar without comparing, and two names are compared only when their lengths and
    letters leave them able to reach the threshold.
    """
    ids_by_name: dict[str, list[UUID]] = defaultdict(list)
    for customer_id, name in block:
        ids_by_name[name].append(customer_id)
    for ids in ids_by_name.values():
        yield from combinations(sorted(ids), 2)
    names = sorted(ids_by_name, key=len)
    letters = {name: Counter(name) for name in names} if len(names) > 1 else {}
    for at, shorter in enumerate(names):
        for longer in names[at + 1 :]:
            both = len(shorter) + len(longer)
            # The ratio is at most 2·len(shorter)/(both lengths), which falls as ``longer``
            # grows: once below the threshold, no later (longer) name reaches it.
            if 2.0 * len(shorter) / both < NAME_SIMILARITY:
                break
            # Nor can it exceed the letters the names share (difflib's quick_ratio, either way round).
            shared = (letters[shorter] & letters[longer]).total()
            if 2.0 * shared / both >= NAME_SIMILARITY:
                yield from _similar_across(shorter, ids_by_name[shorter], longer, ids_by_name[longer])


@define
class _Groups:
    """The ids sharing each normalised email and phone, and the (id, normalised name) of each
    name block: the customers of one normalised company whose names share their first letters."""

    by_email: defaultdict[str, list[UUID]] = field(factory=lambda: defaultdict(list))
    by_phone: defaultdict[str, list[UUID]] = field(factory=lambda: defaultdict(list))
    by_block: defaultdict[tuple[str, str], list[tuple[UUID, str]]] = field(factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, rows: Iterable[MatchKey]) -> _Groups:
        groups = cls()
        by_email, by_phone, by_block = groups.by_email, groups.by_phone, groups.by_block
        # A tenant has far fewer companies than customers: normalise each spelling once.
        companies: dict[str, str] = {}
        for row in rows:
            if (email := normalised_email(row.email)) is not None:
                by_email[email].append(row.id)
            if (digits := phone_digits(row.phone)) is not None:
                by_phone[digits].append(row.id)
            if not row.company:
                continue
            company = companies.get(row.company)
            if company is None:
                company = companies[row.company] = normalised_name(row.company)
            name = normalised_name(row.name)
            if name and company:
                by_block[(company, name[:_BLOCK_PREFIX])].append((row.id, name))
        return groups


def _reasoned_pairs(groups: _Groups) -> Iterator[tuple[DuplicateReason, Iterable[tuple[UUID, UUID]]]]:
    for reason, shared in (
        (DuplicateReason.SAME_EMAIL, groups.by_email),
        (DuplicateReason.SAME_PHONE, groups.by_phone),
    ):
        for ids in shared.values():
            if len(ids) > 1:
                yield reason, combinations(sorted(ids), 2)
    for block in groups.by_block.values():
        if len(block) > 1:
            yield DuplicateReason.SIMILAR_NAME_AND_COMPANY, similar_name_pairs(block)


def _similar_across(
    one: str, ones: Sequence[UUID], other: str, others: Sequence[UUID]
) -> Iterator[tuple[UUID, UUID]]:
    """The similar pairs of an id named ``one`` and an id named ``other``: each direction of
    the ratio is computed at most once, and only when a pair needs it."""
    verdicts: dict[bool, bool] = {}
    for first in ones:
        for second in others:
            one_first = first < second
            if one_first not in verdicts:
                verdicts[one_first] = names_similar(one, other) if one_first else names_similar(other, one)
            if verdicts[one_first]:
                yield (first, second) if one_first else (second, first)


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
