"""Cursor pagination: a stable sort on (key, id) and an opaque cursor after the last row."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from attrs import frozen

from lana_core.domain.choices import Choice
from lana_core.errors import ValidationError

T = TypeVar("T")
Identified = TypeVar("Identified", bound="_HasId")

# The types a sort key may have; dates and times travel in a cursor as ISO text.
KeyKind = type[datetime] | type[date] | type[str] | type[int]

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class SortOrder(Choice, field="order"):
    ASC = "asc"
    DESC = "desc"


class _HasId(Protocol):
    @property
    def id(self) -> UUID: ...


@frozen
class Cursor:
    """The position after a row: its sort key value (JSON-safe) and its id."""

    key: Any
    id: UUID

    @classmethod
    def after(cls, key: Any, id: UUID) -> Cursor:
        """The cursor after a row whose sort key is ``key`` (a date or time is kept as ISO text)."""
        return cls(key.isoformat() if isinstance(key, (datetime, date)) else key, id)

    def key_as(self, kind: KeyKind) -> Any:
        """The key read back as a value of ``kind`` (None stays None); raises ValidationError
        for a cursor this API did not issue."""
        raw = self.key
        if raw is None:
            return None
        if kind is int:
            if isinstance(raw, int) and not isinstance(raw, bool):
                return raw
            raise invalid_cursor()
        if not isinstance(raw, str):
            raise invalid_cursor()
        if kind is str:
            return raw
        try:
            if kind is datetime:
                parsed = datetime.fromisoformat(raw)
                if parsed.tzinfo is None:
                    raise invalid_cursor()
                return parsed
            return date.fromisoformat(raw)
        except ValueError as error:
            raise invalid_cursor() from error

    def encode(self) -> str:
        raw = json.dumps([self.key, str(self.id)], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            key, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
            return cls(key, UUID(ident))
        except (ValueError, TypeError, binascii.Error) as error:
            raise invalid_cursor() from error


def invalid_cursor() -> ValidationError:
    return ValidationError.single("cursor", "invalid_cursor", "is not a cursor this API issued")


@frozen(kw_only=True)
class PageRequest:
    """How many rows, and where to start; ``limit`` is bounded to keep pages cheap."""

    limit: int = DEFAULT_LIMIT
    after: Cursor | None = None

    @classmethod
    def of(cls, limit: int | None = None, cursor: str | None = None) -> PageRequest:
        size = DEFAULT_LIMIT if limit is None else limit
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_LIMIT:
            raise ValidationError.single("limit", "out_of_range", f"must be between 1 and {MAX_LIMIT}")
        return cls(limit=size, after=Cursor.decode(cursor) if cursor else None)


@frozen
class Page(Generic[T]):
    """One page of results; ``next_cursor`` is None on the last page. ``total``, when a list
    was asked for it, counts every result of the query, on this page or another; None
    otherwise (counting costs a query of its own)."""

    items: Sequence[T]
    next_cursor: str | None
    total: int | None = None


def page_of(rows: Sequence[Identified], limit: int, key: Callable[[Identified], Any]) -> Page[Identified]:
    """The first ``limit`` of ``rows``, read with one more to tell whether another page follows;
    its cursor points after the last row kept (by ``key`` and id)."""
    items = tuple(rows[:limit])
    if len(rows) <= limit:
        return Page(items=items, next_cursor=None)
    last = items[-1]
    return Page(items=items, next_cursor=Cursor.after(key(last), last.id).encode())
