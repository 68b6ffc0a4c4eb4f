"""Cached values as JSON bytes and back, by the type the caller names.

A private cattrs converter: the cache boundary owns its format, so another boundary's
changes (HTTP schemas, broker messages) never change what is stored here.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from cattrs import Converter
from cattrs.errors import BaseValidationError
from cattrs.preconf.json import make_converter

T = TypeVar("T")


class UndecodableValue(Exception):
    """Stored bytes that do not decode to the asked type (an older shape, or damage)."""


def _aware(value: Any, _: type) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.utcoffset() is None:
        raise ValueError("a cached time has no time zone")
    return moment


def _converter() -> Converter:
    converter = make_converter()
    converter.register_unstructure_hook(UUID, str)
    converter.register_structure_hook(UUID, lambda value, _: UUID(value))
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(datetime, _aware)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(date, lambda value, _: date.fromisoformat(value))
    return converter


class ValueCodec:
    """Encodes attrs values (with times, dates, ids, enums, mappings, sequences) as compact JSON.

    Sequences come back as tuples and mappings as dicts.
    """

    __slots__ = ("_converter",)

    def __init__(self) -> None:
        self._converter = _converter()

    def encode(self, value: Any, kind: type[Any] | None = None) -> bytes:
        """The JSON bytes of ``value``; raises TypeError when it holds something JSON cannot carry."""
        plain = self._converter.unstructure(value, unstructure_as=kind)
        return json.dumps(plain, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()

    def decode(self, data: bytes, kind: type[T]) -> T:
        """The ``kind`` value in ``data``; raises UndecodableValue when it is not one."""
        try:
            return self._converter.structure(json.loads(data), kind)
        except (ValueError, TypeError, KeyError, AttributeError, BaseValidationError) as error:
            raise UndecodableValue(f"not a {getattr(kind, '__name__', kind)}: {error}") from error
