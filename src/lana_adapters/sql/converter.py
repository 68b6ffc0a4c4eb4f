"""Rows to domain records and domain records to a statement's parameters, by one cattrs converter.

The drivers already hand back typed columns (UUIDs, aware datetimes, dates, ints, decoded
JSON documents), so reading a row passes those through and only reshapes: a name into its
:class:`~lana_core.domain.choices.Choice` member, a JSON array into a tuple, JSON objects
into nested records (signals, field changes, tenant settings), a missing key into the
record's default. Writing does the reverse: members become their values, tuples lists,
mappings plain dicts. A column named unlike its field is given as ``renamed``.

The per-record functions are generated once (:func:`cattrs.gen.make_dict_structure_fn`):
writing costs what a hand-written mapping costs, reading about two microseconds more a
row (docs/performance.md, "Row mapping").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from types import NoneType, UnionType
from typing import Any, TypeAlias, TypeVar, Union, cast, get_args, get_origin
from uuid import UUID

from cattrs import Converter
from cattrs.cols import homogenous_tuple_structure_factory, is_mapping
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from lana_adapters.sql.driver import AnyRow
from lana_core.domain.choices import Choice

T = TypeVar("T")
# A statement's parameters: one value per column.
Values: TypeAlias = dict[str, Any]

# Types every driver returns as the domain keeps them.
_AS_STORED = (str, int, float, bool, UUID, date)


def _as_stored(value: Any, _: Any) -> Any:
    return value


def _utc(value: datetime, _: Any) -> datetime:
    # psycopg gives times in the session's zone (UTC, set per connection) under its own
    # tzinfo; the domain compares and renders them as UTC.
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError("a stored time has no time zone")
    return value.astimezone(UTC)


def _utc_or_none(value: datetime | None, _: Any) -> datetime | None:
    return None if value is None else _utc(value, None)


def _member(value: str, kind: type[Choice]) -> Choice:
    # A stored value is a member's own spelling: a dict look-up, not the enum's call.
    member = kind._value2member_map_.get(value)
    return kind(value) if member is None else cast("Choice", member)


def _choice_value(member: Choice) -> str:
    # The value, not the member: psycopg would send an enum's name.
    return member.value


def _is_optional(kind: Any) -> bool:
    """``X | None``."""
    args = get_args(kind)
    return get_origin(kind) in (Union, UnionType) and len(args) == 2 and NoneType in args


def _not_none(kind: Any) -> Any:
    return next(arg for arg in get_args(kind) if arg is not NoneType)


def _optional_structure(kind: Any, converter: Converter) -> Callable[[Any, Any], Any]:
    """``X | None``: None as it is, else ``X``'s hook; passed straight through for a type
    stored as it is kept."""
    inner_type = _not_none(kind)
    inner = converter.get_structure_hook(inner_type)
    if inner is _as_stored:
        return _as_stored
    if inner is _utc:
        return _utc_or_none

    def structure(value: Any, _: Any) -> Any:
        return None if value is None else inner(value, inner_type)

    return structure


def _optional_unstructure(kind: Any, converter: Converter) -> Callable[[Any], Any]:
    inner = converter.get_unstructure_hook(_not_none(kind))
    if inner is identity:
        return identity

    def unstructure(value: Any) -> Any:
        return None if value is None else inner(value)

    return unstructure


def _is_tuple_of_any_length(kind: Any) -> bool:
    """``tuple[X, ...]``."""
    args = get_args(kind)
    return get_origin(kind) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple(values: Sequence[Any], _: Any) -> tuple[Any, ...]:
    return tuple(values)


def _tuple_structure(kind: Any, converter: Converter) -> Callable[[Any, Any], Any]:
    """A JSON array as a tuple; its items as they are when stored as kept (tags), else by
    their type's hook, found once (signals, field changes)."""
    if converter.get_structure_hook(get_args(kind)[0]) is _as_stored:
        return _tuple
    return homogenous_tuple_structure_factory(kind, converter)


def _new_converter() -> Converter:
    # Errors name the row's bad value; a detailed error tree costs each row more.
    converter = Converter(detailed_validation=False, unstruct_collection_overrides={Sequence: list})
    for kind in _AS_STORED:
        converter.register_structure_hook(kind, _as_stored)
        converter.register_unstructure_hook(kind, identity)
    converter.register_structure_hook(datetime, _utc)
    converter.register_unstructure_hook(datetime, identity)
    # Its own hooks, or a Choice would take those of str (its members are strings).
    converter.register_structure_hook(Choice, _member)
    converter.register_unstructure_hook(Choice, _choice_value)
    converter.register_structure_hook_factory(_is_tuple_of_any_length, _tuple_structure)
    converter.register_structure_hook_factory(_is_optional, _optional_structure)
    converter.register_unstructure_hook_factory(_is_optional, _optional_unstructure)
    # JSON documents (attributes, payloads, settings read as a whole): the driver decoded them.
    converter.register_structure_hook_func(is_mapping, _as_stored)
    converter.register_unstructure_hook_func(is_mapping, dict)
    # Values of any type (a field change's old and new) are JSON-safe as they are.
    converter.register_structure_hook_func(lambda kind: kind is Any, _as_stored)
    converter.register_unstructure_hook_func(lambda kind: kind is Any, identity)
    return converter


CONVERTER = _new_converter()


def _overrides(renamed: Mapping[str, str], written: Mapping[str, Callable[[Any], Any]]) -> dict[str, Any]:
    fields = renamed.keys() | written.keys()
    return {field: override(rename=renamed.get(field), unstruct_hook=written.get(field)) for field in fields}


def reader(
    kind: type[T], *, reshape: Callable[[Values], None] | None = None, **renamed: str
) -> Callable[[AnyRow], T]:
    """The function reading a ``kind`` from a row (a SQLAlchemy Row or a driver's named
    tuple) whose columns are named as its fields, but ``renamed`` ones (field=column).

    ``reshape`` adds, in place, the values of fields no single column holds (a record
    nested from joined columns) to the row's values before they are read."""
    structure = make_dict_structure_fn(kind, CONVERTER, **_overrides(renamed, {}))

    def read(row: AnyRow) -> T:
        return structure(dict(zip(row._fields, row, strict=True)), kind)

    chosen = read if reshape is None else _reshaping(structure, kind, reshape)
    chosen.__name__ = chosen.__qualname__ = f"read_{kind.__name__}"
    return chosen


def _reshaping(
    structure: Callable[[Values, type[T]], T], kind: type[T], reshape: Callable[[Values], None]
) -> Callable[[AnyRow], T]:
    def read(row: AnyRow) -> T:
        values = dict(zip(row._fields, row, strict=True))
        reshape(values)
        return structure(values, kind)

    return read


def writer(
    kind: type[T], *, written: Mapping[str, Callable[[Any], Any]] | None = None, **renamed: str
) -> Callable[[T], Values]:
    """The function giving the column values of a ``kind``: one per field, named as the
    field, but ``renamed`` ones (field=column); the fields ``written`` names are written by
    their own function (a nested record stored as its id)."""
    overrides = _overrides(renamed, written or {})
    unstructure: Callable[[T], Values] = make_dict_unstructure_fn(kind, CONVERTER, **overrides)
    return unstructure
