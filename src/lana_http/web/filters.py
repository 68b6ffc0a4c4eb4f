"""Template filters: how dates, times, labels and figures read on a page."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime

from jinja2 import Environment


def register(environment: Environment) -> None:
    environment.filters.update(
        {
            "day": day,
            "moment": moment,
            "label": label,
            "percent": percent,
            "plain": plain,
            "zip_labels": zip_labels,
        }
    )


def day(value: date | None) -> str:
    """``2026-03-09`` reads as ``9 Mar 2026``; nothing as a dash."""
    return "—" if value is None else f"{value.day} {value:%b %Y}"


def moment(value: datetime | None) -> str:
    """A UTC time to the minute, as ``9 Mar 2026 14:05 UTC``."""
    return "—" if value is None else f"{value.day} {value:%b %Y %H:%M} UTC"


# Values whose words the underscore rule cannot recover.
_WORDS = {"todo": "To do"}


def label(value: object) -> str:
    """An enum value or a field name in words: ``in_progress`` → ``In progress``, ``todo`` → ``To do``."""
    raw = str(value.value if isinstance(value, enum.Enum) else value)
    text = _WORDS.get(raw) or raw.replace("_", " ")
    return text[:1].upper() + text[1:]


def percent(value: float) -> str:
    return f"{value * 100:.0f} %"


def plain(value: object) -> str:
    """A value from an audit entry, as text: nothing is a dash, lists are joined."""
    if value is None or value == "":
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items()) or "—"
    return str(value)


def zip_labels(values: Iterable[str]) -> list[tuple[str, str]]:
    """Choices for a select: each value with its label."""
    return [(value, label(value)) for value in values]
