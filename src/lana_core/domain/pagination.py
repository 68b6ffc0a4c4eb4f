"""Cursor pagination: a stable sort on (key, id) and an opaque cursor after the last row."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any, Generic, TypeVar
from uuid import UUID

from attrs import frozen

from lana_core.domain.choices import Choice
from lana_core.errors import ValidationError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class SortOrder(Choice, field="order"):
    ASC = "asc"
    DESC = "desc"


@frozen
class Cursor:
    """The position after a row: its sort key value (JSON-safe) and its id."""

    key: Any
    id: UUID

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
            raise ValidationError.single(
                "cursor", "invalid_cursor", "is not a cursor this API issued"
            ) from error


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
