"""The kinds of field request bodies are made of, each with its limits.

Lengths and counts are the domain's maxima, enforced while decoding (400), so the domain
never sees a value too long to store. Patterns and minima are the domain's own rules,
only stated (see :func:`~lana_http.schemas.base.states`); the domain strips surrounding
white space before it checks a text, so each pattern allows it.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from lana_core.domain import validation
from lana_core.domain.analytics import MAX_NAME_LENGTH
from lana_core.domain.tenancy import MIN_PASSWORD_LENGTH
from lana_http.schemas.base import JsonScalar, states

# White space as the domain strips it (Python's str.isspace), spelt out: JSON Schema's
# regular expressions (ECMA-262) and Python's disagree on what \s means.
_WS = r"\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_SPACE, _NOT_SPACE = f"[{_WS}]*", f"[^{_WS}]"
# Some character that is not white space: the domain refuses a blank text where one is required.
NOT_BLANK = _NOT_SPACE
# Control characters, which the domain refuses inside a text (see lana_core.domain.validation):
# all of them in one line of text, all but tab and line breaks in a text of several lines.
_CONTROL = r"\x00-\x1f\x7f-\x9f"
_CONTROL_BUT_BREAKS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_END = r"(?![\s\S])"
# One line of text once stripped (surrounding white space is not part of it).
LINE = rf"^{_SPACE}[^{_CONTROL}]*{_SPACE}{_END}"
NOT_BLANK_LINE = rf"^{_SPACE}[^{_CONTROL}]*[^{_WS}{_CONTROL}][^{_CONTROL}]*{_SPACE}{_END}"
LINES = rf"^[^{_CONTROL_BUT_BREAKS}]*{_END}"
# The domain's address check (after stripping and lower-casing); blank means no address.
_ADDRESS = rf"[^@{_WS}{_CONTROL}]+@[^@{_WS}{_CONTROL}]+\.[^@{_WS}{_CONTROL}.]+"
EMAIL = rf"^{_SPACE}{_ADDRESS}{_SPACE}$"
OPTIONAL_EMAIL = rf"^{_SPACE}({_ADDRESS}{_SPACE})?$"
# 5 to 15 digits, after an optional '+', with spaces, brackets, dots, dashes or slashes anywhere
# (inside the number, only white space that is no control character).
_INNER_WS = r" \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_NOISE = rf"[{_INNER_WS}().\-/]*"
PHONE = rf"^({_SPACE}|{_NOISE}(\+{_NOISE})?([0-9]{_NOISE}){{5,15}})$"
TAG = rf"^{_SPACE}[A-Za-z0-9][A-Za-z0-9_\-: ]*{_SPACE}$"
ATTRIBUTE_KEY = r"^[A-Za-z_][A-Za-z0-9_\-.]*$"
SLUG = rf"^{_SPACE}[A-Za-z0-9]([A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?{_SPACE}$"

Name = Annotated[str, Meta(max_length=200), states(pattern=NOT_BLANK_LINE)]
ShortText = Annotated[str, Meta(max_length=200), states(pattern=LINE)]
LongText = Annotated[str, Meta(max_length=10_000), states(pattern=LINES)]
Subject = Annotated[str, Meta(max_length=300), states(pattern=LINE)]
Content = Annotated[str, Meta(max_length=50_000), states(pattern=LINES)]
EventName = Annotated[str, Meta(max_length=MAX_NAME_LENGTH), states(pattern=NOT_BLANK_LINE)]
Label = Annotated[str, Meta(max_length=200), states(pattern=LINE)]
SubjectType = Annotated[str, Meta(max_length=50), states(pattern=LINE)]
Email = Annotated[str, Meta(max_length=254), states(pattern=EMAIL)]
OptionalEmail = Annotated[str, Meta(max_length=254), states(pattern=OPTIONAL_EMAIL)]
Phone = Annotated[str, Meta(max_length=40), states(pattern=PHONE)]
Slug = Annotated[str, Meta(max_length=100), states(pattern=SLUG)]
NewPassword = Annotated[str, Meta(max_length=1024), states(minLength=MIN_PASSWORD_LENGTH)]
_SCALARS = ("integer", "number", "boolean", "null")
Tags = Annotated[
    list[Annotated[str, Meta(max_length=validation.MAX_TAG_LENGTH)]],
    Meta(max_length=validation.MAX_TAGS),
    states(items={"type": "string", "maxLength": validation.MAX_TAG_LENGTH, "pattern": TAG}),
]
Attributes = Annotated[
    dict[str, JsonScalar],
    Meta(max_length=validation.MAX_ATTRIBUTES),
    states(
        maxProperties=validation.MAX_ATTRIBUTES,
        propertyNames={"maxLength": validation.MAX_ATTRIBUTE_KEY_LENGTH, "pattern": ATTRIBUTE_KEY},
        # A text value may span lines; no value holds another control character.
        additionalProperties={
            "anyOf": [{"type": "string", "pattern": LINES}, *({"type": kind} for kind in _SCALARS)]
        },
    ),
]


class WholeNumber(int):
    """What JSON Schema calls an integer: a number without a fraction, written ``5`` or
    ``5.0`` (JSON does not tell them apart, and some encoders write the second); never
    ``true`` or ``"5"``. The body decoder builds it with :func:`whole_number`."""


def whole_number(value: object) -> WholeNumber:
    """``value`` as a :class:`WholeNumber`; raises ValueError for anything but an integral number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return WholeNumber(value)
    if isinstance(value, float) and value.is_integer():
        return WholeNumber(int(value))
    raise ValueError(f"Expected `int`, got `{_JSON_TYPES.get(type(value), type(value).__name__)}`")


_JSON_TYPES = {bool: "bool", float: "float", str: "str", list: "array", dict: "object", type(None): "null"}

NonNegative = Annotated[WholeNumber, states(type="integer", minimum=0)]
