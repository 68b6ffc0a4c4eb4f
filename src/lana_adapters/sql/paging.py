"""Keyset pagination in SQL: a stable order on (sort key, id) and a cursor after the last row.

A missing sort key (NULL) sorts after every value, so descending order is exactly
ascending order reversed, as in the in-memory adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.sql.elements import UnaryExpression

from lana_adapters.sql.tx import AnyRow
from lana_core.domain.pagination import Cursor, KeyKind, Page, PageRequest, SortOrder

T = TypeVar("T")


def order_by(
    key: ColumnElement[Any], id_: ColumnElement[Any], order: SortOrder
) -> list[UnaryExpression[Any]]:
    if order == SortOrder.ASC:
        return [key.asc().nulls_last(), id_.asc()]
    return [key.desc().nulls_first(), id_.desc()]


def after(
    key: ColumnElement[Any], id_: ColumnElement[Any], order: SortOrder, cursor: Cursor, kind: KeyKind
) -> ColumnElement[bool]:
    """Rows strictly after ``cursor`` in the (key, id) order."""
    value = cursor.key_as(kind)
    ascending = order == SortOrder.ASC
    beyond_id = id_ > cursor.id if ascending else id_ < cursor.id
    if value is None:
        # Past the NULL keys when ascending; still inside them, then every value, when descending.
        return (
            and_(key.is_(None), beyond_id)
            if ascending
            else or_(key.is_not(None), and_(key.is_(None), beyond_id))
        )
    beyond_key = key > value if ascending else key < value
    tail = or_(beyond_key, and_(key == value, beyond_id))
    return or_(tail, key.is_(None)) if ascending else tail


def page_of(
    rows: Sequence[AnyRow], page: PageRequest, to_item: Callable[[AnyRow], T], key_of: Callable[[T], Any]
) -> Page[T]:
    """The first ``page.limit`` of ``rows`` (fetched with one extra to tell whether more follow)."""
    items = [to_item(row) for row in rows[: page.limit]]
    if len(rows) <= page.limit:
        return Page(items=tuple(items), next_cursor=None)
    last = items[-1]
    return Page(items=tuple(items), next_cursor=Cursor(render_key(key_of(last)), last.id).encode())  # type: ignore[attr-defined]


def render_key(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value
