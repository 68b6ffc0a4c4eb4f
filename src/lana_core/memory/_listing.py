"""Keyset pagination over rows in memory: a stable order on (sort key, id) and a cursor after the last row.

A missing sort key (None) sorts after every value, so descending order is exactly
ascending order reversed.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from lana_core.domain.pagination import Cursor, Page, PageRequest, SortOrder
from lana_core.errors import ValidationError
from lana_core.memory._tables import Entity

E = TypeVar("E", bound=Entity)

Rank = tuple[bool, Any, UUID]


def paginate(
    rows: Iterable[E],
    *,
    key: Callable[[E], Any],
    kind: type[datetime | date | str],
    order: SortOrder,
    page: PageRequest,
) -> Page[E]:
    """One page of ``rows`` in (``key``, id) order; ``kind`` is the type of the key values."""

    def rank(row: E) -> Rank:
        return _rank(key(row), row.id)

    candidates: Iterable[E] = rows
    if page.after is not None:
        bound = _rank(_parse(page.after.key, kind), page.after.id)
        if order == SortOrder.ASC:
            candidates = (row for row in rows if rank(row) > bound)
        else:
            candidates = (row for row in rows if rank(row) < bound)
    pick = heapq.nsmallest if order == SortOrder.ASC else heapq.nlargest
    found = pick(page.limit + 1, candidates, key=rank)
    if len(found) <= page.limit:
        return Page(items=tuple(found), next_cursor=None)
    last = found[page.limit - 1]
    return Page(items=tuple(found[: page.limit]), next_cursor=Cursor(_render(key(last)), last.id).encode())


def _rank(value: Any, row_id: UUID) -> Rank:
    return (value is None, 0 if value is None else value, row_id)


def _render(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _parse(raw: Any, kind: type[datetime | date | str]) -> Any:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _bad_cursor()
    if kind is str:
        return raw
    try:
        if kind is datetime:
            parsed = datetime.fromisoformat(raw)
            if parsed.tzinfo is None:
                raise _bad_cursor()
            return parsed
        return date.fromisoformat(raw)
    except ValueError as error:
        raise _bad_cursor() from error


def _bad_cursor() -> ValidationError:
    return ValidationError.single("cursor", "invalid_cursor", "is not a cursor this API issued")
