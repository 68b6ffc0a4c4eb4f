"""Partial edits: a command names only the fields it changes; ``UNSET`` marks the others."""

from __future__ import annotations

from typing import Any


class _Unset:
    """Marks a field an edit leaves alone (None means 'clear it')."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()


def patched(command: object, current: object, name: str) -> Any:
    """The command's value for ``name``, or the current one when the command leaves it UNSET."""
    value = getattr(command, name)
    return getattr(current, name) if value is UNSET else value
