"""Audit entries: who changed what, when, from which value to which."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from attrs import frozen


@frozen
class FieldChange:
    """One field's old and new value, both JSON-safe."""

    field: str
    old: Any
    new: Any


@frozen(kw_only=True)
class AuditEntry:
    """One change of one aggregate, written in the same transaction as the change."""

    id: UUID
    tenant_id: UUID
    actor_id: UUID | None
    aggregate_type: str
    aggregate_id: UUID
    customer_id: UUID | None
    action: str
    changes: tuple[FieldChange, ...]
    occurred_at: datetime


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """The fields whose values differ, in ``after``'s order; a missing key reads as None."""
    if not before:  # a creation: every field set, one entry per customer of an import
        return tuple(FieldChange(key, None, value) for key, value in after.items() if value is not None)
    return tuple(
        FieldChange(key, old, value) for key, value in after.items() if (old := before.get(key)) != value
    )
