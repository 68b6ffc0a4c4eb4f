"""Reading what a form or a page address sends: text as the core's commands take it.

Every parser raises the core's ValidationError naming the field, so a bad value reads
as the same inline message as a rule the core itself enforces.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from lana_core.errors import ValidationError

E = TypeVar("E", bound=enum.Enum)

Form = Mapping[str, Any]
MAX_TEXT = 20_000


def text(form: Form, name: str) -> str:
    """The field as sent (bounded); empty when absent."""
    value = form.get(name)
    return value[:MAX_TEXT] if isinstance(value, str) else ""


def optional(form: Form, name: str) -> str | None:
    """The field, or None when left empty (the core then clears or omits it)."""
    value = text(form, name).strip()
    return value or None


def choice(kind: type[E], form: Form, name: str) -> E | None:
    """The enum member the field names, None when empty; raises ValidationError."""
    value = text(form, name).strip().lower()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in kind)
        raise ValidationError.single(name, "invalid_choice", f"must be one of: {allowed}") from None


def required_choice(kind: type[E], form: Form, name: str) -> E:
    found = choice(kind, form, name)
    if found is None:
        raise ValidationError.single(name, "required", "choose one")
    return found


def tags(form: Form, name: str = "tags") -> tuple[str, ...]:
    """Comma-separated tags, as typed."""
    return tuple(part.strip() for part in text(form, name).split(",") if part.strip())


def identifier(form: Form, name: str) -> UUID | None:
    value = text(form, name).strip()
    if not value:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise ValidationError.single(name, "invalid", "is not one of the choices offered") from None


def day(form: Form, name: str) -> date | None:
    value = text(form, name).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError.single(name, "invalid", "must be a date like 2026-03-31") from None


def version(form: Form, name: str = "version") -> int:
    """The version of the record the form was filled in from."""
    value = text(form, name).strip()
    if not value.isdigit():
        raise ValidationError.single(name, "required", "reload the page: the form lost the record's version")
    return int(value)
