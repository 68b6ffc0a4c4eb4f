"""The filter language of webhook subscriptions: conditions on an event's body.

A subscription keeps an event only when every one of its conditions holds. A condition
names a field of the event's payload (dots reach into nested objects), an operator and
one or more values::

    value = high
    status in (active, prospect)
    status != lost
    owner.role not in (viewer, "read only")

Values are compared as text: a string as it is, ``true``/``false`` for booleans, ``null``
for null or a missing field, numbers as JSON writes them. A value holding a space, comma,
parenthesis or quote is written between double quotes (``\\"`` inside). A condition is
parsed once into a :class:`Condition` (field path, operator, frozenset of values), so
evaluating it is a few dict lookups and one set membership, whatever the event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from attrs import field, frozen

from lana_core.domain.choices import Choice
from lana_core.errors import FieldError, ValidationError

MAX_CONDITIONS: Final = 20
MAX_CONDITION_LENGTH: Final = 500
MAX_VALUES: Final = 50

_FIELD = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_BARE = r"[^\s,()\"]+"
_QUOTED = r"\"(?:[^\"\\]|\\.)*\""
_VALUE = rf"(?:{_QUOTED}|{_BARE})"
_CONDITION = re.compile(
    rf"\s*(?P<field>{_FIELD})\s*"
    rf"(?:(?P<op>!=|=)\s*(?P<value>{_VALUE})"
    rf"|(?P<setop>not\s+in|in)\s*\(\s*(?P<values>{_VALUE}(?:\s*,\s*{_VALUE})*)\s*\))\s*",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(rf"\s*({_VALUE})\s*(?:,|$)")
_NEEDS_QUOTES = re.compile(r"[\s,()\"\\]|^$")
_UNESCAPE = re.compile(r"\\(.)")


class Operator(Choice, field="operator"):
    """How a field's value is compared: ``=`` and ``in`` want it among the values, ``!=``
    and ``not in`` want it outside them."""

    EQ = "="
    NE = "!="
    IN = "in"
    NOT_IN = "not in"

    @property
    def wants_member(self) -> bool:
        return self in (Operator.EQ, Operator.IN)


@frozen
class Condition:
    """One parsed condition: ``path`` is the field split at its dots."""

    path: tuple[str, ...]
    operator: Operator
    values: frozenset[str]
    # Worked out once, read on every event: whether a match is wanted, and the one key of
    # a path without dots (most are), which spares the walk.
    _wants_member: bool = field(init=False, eq=False, repr=False)
    _key: str | None = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_wants_member", self.operator.wants_member)
        object.__setattr__(self, "_key", self.path[0] if len(self.path) == 1 else None)

    def holds(self, payload: Mapping[str, Any]) -> bool:
        """Whether ``payload`` meets the condition."""
        key = self._key
        value = payload.get(key) if key is not None else field_value(payload, self.path)
        text = value if type(value) is str else as_text(value)
        return (text in self.values) is self._wants_member

    def render(self) -> str:
        """The condition in the language's canonical form (``parse`` reads it back as equal)."""
        field = ".".join(self.path)
        ordered = sorted(self.values)
        if self.operator in (Operator.EQ, Operator.NE) and len(ordered) == 1:
            return f"{field} {self.operator.value} {_quote(ordered[0])}"
        operator = Operator.IN if self.operator.wants_member else Operator.NOT_IN
        return f"{field} {operator.value} ({', '.join(map(_quote, ordered))})"


def parse(source: object, *, field: str = "filters") -> Condition:
    """One condition from its text; raises ValidationError naming ``field``."""
    if not isinstance(source, str):
        raise ValidationError.single(field, "type", "must be a string")
    if len(source) > MAX_CONDITION_LENGTH:
        raise ValidationError.single(field, "too_long", f"must be at most {MAX_CONDITION_LENGTH} characters")
    found = _CONDITION.fullmatch(source)
    if found is None:
        raise ValidationError.single(
            field,
            "invalid_filter",
            "must read 'field = value', 'field != value', 'field in (a, b)' or 'field not in (a, b)'",
        )
    path = tuple(found["field"].split("."))
    if found["op"] is not None:
        return Condition(path, Operator(found["op"]), frozenset({_unquote(found["value"])}))
    values = [_unquote(item) for item in _LIST_ITEM.findall(found["values"])]
    if len(values) > MAX_VALUES:
        raise ValidationError.single(field, "too_many", f"at most {MAX_VALUES} values in a list")
    operator = Operator.NOT_IN if found["setop"].lower().startswith("not") else Operator.IN
    return Condition(path, operator, frozenset(values))


def parse_all(sources: object, *, field: str = "filters") -> tuple[Condition, ...]:
    """Every condition of a list; raises ValidationError naming each bad one (``filters[2]``)."""
    if isinstance(sources, str) or not isinstance(sources, Iterable):
        raise ValidationError.single(field, "type", "must be a list of strings")
    items = list(sources)
    if len(items) > MAX_CONDITIONS:
        raise ValidationError.single(field, "too_many", f"at most {MAX_CONDITIONS} filters")
    conditions: list[Condition] = []
    errors: list[FieldError] = []
    for index, item in enumerate(items):
        try:
            conditions.append(parse(item, field=f"{field}[{index}]"))
        except ValidationError as error:
            errors.extend(error.errors)
    if errors:
        raise ValidationError(errors)
    return tuple(dict.fromkeys(conditions))


def render_all(conditions: Sequence[Condition]) -> tuple[str, ...]:
    return tuple(condition.render() for condition in conditions)


def all_hold(conditions: Sequence[Condition], payload: Mapping[str, Any]) -> bool:
    """Whether every condition holds (no conditions: always)."""
    for condition in conditions:  # noqa: SIM110 - a loop: all() over a generator costs more per event
        if not condition.holds(payload):
            return False
    return True


def field_value(payload: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` in nested mappings; None when any step is missing."""
    value: Any = payload
    for step in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def as_text(value: Any) -> str:
    """A payload value as the language compares it."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _quote(value: str) -> str:
    if not _NEEDS_QUOTES.search(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _unquote(token: str) -> str:
    if token.startswith('"'):
        return _UNESCAPE.sub(r"\1", token[1:-1])
    return token
