"""Small checks shared by the entities' named constructors; each returns the clean value or raises."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Final, Protocol

from lana_core.errors import FieldError, ValidationError

JsonScalar = str | int | float | bool | None

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE_NOISE = re.compile(r"[\s().\-/]")
_TAG = re.compile(r"^[a-z0-9][a-z0-9_\-: ]*$")
_ATTRIBUTE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-.]*")

# Characters no text may hold, so that every adapter stores the same text: C0 and C1 control
# characters (PostgreSQL refuses NUL where SQLite keeps it; the others are invisible and break
# lines, logs and exports) and unpaired surrogates, which no database encodes. Multi-line text
# keeps tab, line feed and carriage return.
_CONTROL = r"\x00-\x1f\x7f-\x9f"
_FORBIDDEN_IN_LINE = re.compile(rf"[{_CONTROL}\ud800-\udfff]")
_FORBIDDEN_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The rule for single-line text as a schema pattern a driver can publish (JSON Schema's dialect;
# decoded requests hold no surrogates): no control character up to the very end, where "$"
# would let one final newline through.
SINGLE_LINE_PATTERN = rf"^[^{_CONTROL}]*(?![\s\S])"
SINGLE_LINE_RULE = "must not contain control characters (tab and line breaks included)"
_MULTI_LINE_RULE = "must not contain control characters other than tab and line breaks"

MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTES_BYTES = 8_192
MAX_ATTRIBUTE_KEY_LENGTH = 64


class Errors:
    """Collects field errors so one call reports every problem, not just the first."""

    __slots__ = ("_errors",)

    def __init__(self) -> None:
        self._errors: list[FieldError] = []

    def add(self, field: str, code: str, message: str) -> None:
        self._errors.append(FieldError(field, code, message))

    def has(self, field: str) -> bool:
        return any(error.field == field for error in self._errors)

    def raise_if_any(self) -> None:
        if self._errors:
            raise ValidationError(self._errors)


def text(
    errors: Errors,
    field: str,
    value: object,
    *,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str | None:
    """Strip ``value``; empty becomes None, which is an error when ``required``. The
    stripped text holds no control character; ``multiline`` text may keep tabs and line breaks.

    Inputs are typed ``object``: library callers are not type-checked, so a wrong type
    is a validation error here rather than an AttributeError deeper down.
    """
    if value is None:
        cleaned = ""
    elif not isinstance(value, str):
        errors.add(field, "type", "must be a string")
        return None
    else:
        cleaned = value.strip()
    if not cleaned:
        if required:
            errors.add(field, "required", "must not be empty")
        return None
    if len(cleaned) > max_length:
        errors.add(field, "too_long", f"must be at most {max_length} characters")
        return None
    if not free_of_control_characters(errors, field, cleaned, multiline=multiline):
        return None
    return cleaned


def free_of_control_characters(errors: Errors, field: str, value: str, *, multiline: bool = False) -> bool:
    """Whether ``value`` is free of control characters (and unpaired surrogates); if not, an
    error names ``field``. ``multiline`` allows tab, line feed and carriage return."""
    if not has_control_characters(value, multiline=multiline):
        return True
    errors.add(field, "invalid_character", _MULTI_LINE_RULE if multiline else SINGLE_LINE_RULE)
    return False


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    """One regex scan, not a loop per character: this runs on every string of every write."""
    forbidden = _FORBIDDEN_IN_LINES if multiline else _FORBIDDEN_IN_LINE
    return forbidden.search(value) is not None


def replace_control_characters(value: str, *, multiline: bool = False) -> str:
    """``value`` with each forbidden character replaced by U+FFFD: text received from
    outside (a webhook receiver's answer) kept as far as it can be stored."""
    forbidden = _FORBIDDEN_IN_LINES if multiline else _FORBIDDEN_IN_LINE
    return forbidden.sub("\ufffd", value)


def email(errors: Errors, field: str, value: object) -> str | None:
    """Normalise an address to lower case; None or blank means no address."""
    cleaned = text(errors, field, value, max_length=254)
    if cleaned is None:
        return None
    normalised = cleaned.lower()
    if not _EMAIL.match(normalised):
        errors.add(field, "invalid_email", "must be an email address like name@example.com")
        return None
    return normalised


class PhoneFormat(Protocol):
    """How phone numbers are checked and written; the adapters layer offers one built on a
    numbering-plan library (E.164), the core's default keeps digits and a leading plus."""

    def normalise(self, raw: str) -> str:
        """``raw`` written the one way it is stored; raises ValueError saying what is wrong."""
        ...


class DigitsPhoneFormat:
    """Keep digits and a leading plus, so '+1 (555) 010-2030' and '+15550102030' compare equal."""

    __slots__ = ()

    def normalise(self, raw: str) -> str:
        compact = _PHONE_NOISE.sub("", raw)
        digits = compact[1:] if compact.startswith("+") else compact
        if not digits.isdigit() or not 5 <= len(digits) <= 15:
            raise ValueError("must hold 5 to 15 digits, optionally after a '+'")
        return compact


DIGITS_PHONE_FORMAT: Final[PhoneFormat] = DigitsPhoneFormat()


def phone(errors: Errors, field: str, value: object, phones: PhoneFormat = DIGITS_PHONE_FORMAT) -> str | None:
    """Normalise a phone number as ``phones`` writes it; None or blank means no number."""
    cleaned = text(errors, field, value, max_length=40)
    if cleaned is None:
        return None
    try:
        return phones.normalise(cleaned)
    except ValueError as error:
        errors.add(field, "invalid_phone", str(error))
        return None


def tags(errors: Errors, field: str, values: object) -> tuple[str, ...]:
    """Lower-case, de-duplicate and sort tags so equal sets compare equal."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        errors.add(field, "type", "must be a list of strings")
        return ()
    cleaned: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            errors.add(field, "type", "must be a list of strings")
            return ()
        tag = value.strip().lower()
        if not tag or len(tag) > MAX_TAG_LENGTH or not _TAG.match(tag):
            errors.add(
                field,
                "invalid_tag",
                f"each tag is 1 to {MAX_TAG_LENGTH} letters, digits, spaces, '-', '_' or ':'",
            )
            return ()
        cleaned.add(tag)
    if len(cleaned) > MAX_TAGS:
        errors.add(field, "too_many", f"at most {MAX_TAGS} tags")
        return ()
    return tuple(sorted(cleaned))


def attributes(errors: Errors, field: str, values: object) -> dict[str, JsonScalar]:
    """Accept a flat mapping of JSON scalars, bounded in count and encoded size."""
    if not isinstance(values, Mapping):
        errors.add(field, "type", "must be an object")
        return {}
    if not values:
        return {}
    if len(values) > MAX_ATTRIBUTES:
        errors.add(field, "too_many", f"at most {MAX_ATTRIBUTES} attributes")
        return {}
    for key, value in values.items():
        if (
            not isinstance(key, str)
            or len(key) > MAX_ATTRIBUTE_KEY_LENGTH
            or not _ATTRIBUTE_KEY.fullmatch(key)
        ):
            errors.add(f"{field}.{key}", "invalid_key", "keys are identifiers of at most 64 characters")
            return {}
        if not _is_json_scalar(value):
            errors.add(f"{field}.{key}", "invalid_value", "values are strings, numbers, booleans or null")
            return {}
        # Free-form values may span lines (an address, a pasted note).
        if isinstance(value, str) and not free_of_control_characters(
            errors, f"{field}.{key}", value, multiline=True
        ):
            return {}
    cleaned = dict(values)
    if _encoded_size_bound(cleaned) > MAX_ATTRIBUTES_BYTES and _encoded_size(cleaned) > MAX_ATTRIBUTES_BYTES:
        errors.add(field, "too_large", f"must encode to at most {MAX_ATTRIBUTES_BYTES} bytes of JSON")
        return {}
    return cleaned


# Bytes one character may take in JSON: a control character becomes "\u001f".
_WORST_BYTES_PER_CHAR = 6
# Quotes, colon and comma around a key and its value; the longest literal, float or
# integer below _SMALL_INT.
_PAIR_OVERHEAD_BYTES = 6
_SCALAR_BYTES = 32
_SMALL_INT = 10**30


def _encoded_size(values: Mapping[str, JsonScalar]) -> float:
    try:
        return len(json.dumps(values, ensure_ascii=False).encode())
    except ValueError:  # an integer with more digits than Python will print
        return math.inf


def _encoded_size_bound(values: Mapping[str, JsonScalar]) -> int:
    """An upper bound of the mapping's JSON size, cheap enough to spare most mappings the
    encoding itself (ingestion checks every event's properties); a huge integer makes the
    bound useless, so the caller encodes."""
    size = 2
    for key, value in values.items():
        size += _PAIR_OVERHEAD_BYTES + _WORST_BYTES_PER_CHAR * len(key)
        if isinstance(value, str):
            size += _WORST_BYTES_PER_CHAR * len(value)
        elif isinstance(value, int) and not -_SMALL_INT < value < _SMALL_INT:
            return MAX_ATTRIBUTES_BYTES + 1
        else:
            size += _SCALAR_BYTES
    return size


def _is_json_scalar(value: object) -> bool:
    if value is None or isinstance(value, (str, bool, int)):
        return True
    return isinstance(value, float) and math.isfinite(value)
