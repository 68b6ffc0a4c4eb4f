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
from lana_core.domain.pagination import Cursor, Page, PageRequest, SortOrder
from lana_core.errors import ValidationError

T = TypeVar("T")
KeyKind = type[datetime] | type[date] | type[str] | type[int]


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
    value = parse_key(cursor.key, kind)
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


def parse_key(raw: Any, kind: KeyKind) -> Any:
    """The cursor's key as a value of ``kind``; raises ValidationError for a forged cursor."""
    if raw is None:
        return None
    if kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        raise _bad_cursor()
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
