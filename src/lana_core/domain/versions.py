"""Versioned records: each change makes the next version, and a change made against another
version than the stored one is refused (optimistic concurrency)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypeVar
from uuid import UUID

import attrs

from lana_core.errors import StaleVersion


class Versioned(Protocol):
    @property
    def id(self) -> UUID: ...

    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


def check_version(what: str, record: Versioned, expected: int | None, *, advice: str = "") -> None:
    """Raise StaleVersion unless ``expected`` is None or ``record``'s version; the message
    names the record as ``what`` and ends with ``advice``, if any."""
    if expected is not None and expected != record.version:
        raise StaleVersion(f"{what} {record.id} is at version {record.version}, not {expected}{advice}")


def next_version(record: V, now: datetime, **changes: Any) -> V:
    """``record`` with ``changes``, at the next version, updated ``now``."""
    return attrs.evolve(record, version=record.version + 1, updated_at=now, **changes)  # type: ignore[misc]
