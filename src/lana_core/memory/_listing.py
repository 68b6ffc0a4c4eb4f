"""Keyset pagination over rows in memory: a stable order on (sort key, id) and a cursor after the last row.

A missing sort key (None) sorts after every value, so descending order is exactly
ascending order reversed.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from uuid import UUID

from lana_core.domain.pagination import KeyKind, Page, PageRequest, SortOrder, page_of
from lana_core.memory._tables import Entity

E = TypeVar("E", bound=Entity)

Rank = tuple[bool, Any, UUID]


def paginate(
    rows: Iterable[E],
    *,
    key: Callable[[E], Any],
    kind: KeyKind,
    order: SortOrder,
    page: PageRequest,
) -> Page[E]:
    """One page of ``rows`` in (``key``, id) order; ``kind`` is the type of the key values."""

    def rank(row: E) -> Rank:
        return _rank(key(row), row.id)

    candidates: Iterable[E] = rows
    if page.after is not None:
        bound = _rank(page.after.key_as(kind), page.after.id)
        if order == SortOrder.ASC:
            candidates = (row for row in rows if rank(row) > bound)
        else:
            candidates = (row for row in rows if rank(row) < bound)
    pick = heapq.nsmallest if order == SortOrder.ASC else heapq.nlargest
    return page_of(pick(page.limit + 1, candidates, key=rank), page.limit, key)


def _rank(value: Any, row_id: UUID) -> Rank:
    return (value is None, 0 if value is None else value, row_id)
