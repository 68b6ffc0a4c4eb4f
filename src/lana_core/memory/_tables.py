"""Committed rows of one kind, the writes a unit of work stages on them, and the checks between.

A :class:`Table` holds what is committed; a :class:`Pending` holds one unit of work's
added, changed or removed rows plus the version each change was based on. Reads overlay
the pending rows on the table and hide the removed ones; :meth:`Pending.verify` re-checks
versions and unique keys against the table at commit, and :meth:`Pending.apply` writes
the rows in and takes the removed ones out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Generic, Protocol, TypeVar
from uuid import UUID

import attrs
from attrs import frozen

from lana_core.errors import Conflict, StaleVersion


class Entity(Protocol):
    @property
    def id(self) -> UUID: ...


E = TypeVar("E", bound=Entity)

# Base versions recorded for a staged row: NEW must not exist yet, ANY exists at any version.
NEW = 0
ANY = -1

_NO_CHILDREN: dict[UUID, None] = {}


KeyOf = Callable[[E], str | None]


@frozen
class Kind(Generic[E]):
    """How rows of one kind are keyed: a name for messages, the unique keys (each by the name
    of the field it reads; a row without a value holds none), parent and version."""

    name: str
    version: Callable[[E], int] | None = None
    unique: Mapping[str, KeyOf[E]] = attrs.field(factory=dict)
    parent: Callable[[E], UUID] | None = None


class Table(Generic[E]):
    """The committed rows of one kind in one scope, with the indexes reads need."""

    __slots__ = ("children", "kind", "rows", "unique")

    def __init__(self, kind: Kind[E]) -> None:
        self.kind = kind
        self.rows: dict[UUID, E] = {}
        # field name -> key -> id of the row holding it
        self.unique: dict[str, dict[str, UUID]] = {name: {} for name in kind.unique}
        # parent id -> child ids in insertion order (a dict used as an ordered set)
        self.children: dict[UUID, dict[UUID, None]] = {}


class Pending(Generic[E]):
    """One unit of work's staged rows of one kind; nothing here is visible to other units."""

    __slots__ = ("base", "removed", "rows")

    def __init__(self) -> None:
        self.rows: dict[UUID, E] = {}
        self.base: dict[UUID, int] = {}
        self.removed: set[UUID] = set()

    @property
    def is_empty(self) -> bool:
        return not self.rows and not self.removed

    def get(self, table: Table[E], row_id: UUID) -> E | None:
        # Hashing a UUID runs Python code: skip the lookups when nothing is staged.
        if self.rows:
            row = self.rows.get(row_id)
            if row is not None:
                return row
        if self.removed and row_id in self.removed:
            return None
        return table.rows.get(row_id)

    def find(self, table: Table[E], key: str, field: str | None = None) -> E | None:
        """The visible row whose unique ``field`` (by default the kind's first) is ``key``."""
        field = field or next(iter(table.kind.unique))
        key_of = table.kind.unique[field]
        for row in self.rows.values():
            if key_of(row) == key:
                return row
        holder = table.unique[field].get(key)
        found = None if holder is None else self.get(table, holder)
        return found if found is not None and key_of(found) == key else None

    def values(self, table: Table[E]) -> Iterable[E]:
        if self.is_empty:
            return table.rows.values()
        merged = dict(table.rows)
        merged.update(self.rows)
        for row_id in self.removed:
            merged.pop(row_id, None)
        return merged.values()

    def children(self, table: Table[E], parent_id: UUID) -> list[E]:
        committed = table.children.get(parent_id, _NO_CHILDREN)
        if not committed and not self.rows:
            return []
        removed = self.removed
        rows = [
            self.rows[row_id] if row_id in self.rows else table.rows[row_id]
            for row_id in committed
            if not removed or row_id not in removed
        ]
        parent_of = table.kind.parent
        if self.rows and parent_of is not None:
            # A staged row may have moved to another parent (a customer merge).
            rows = [r for r in rows if parent_of(r) == parent_id]
        if self.rows and parent_of is not None:
            rows.extend(r for r in self.rows.values() if r.id not in committed and parent_of(r) == parent_id)
        return rows

    def add(self, table: Table[E], row: E) -> None:
        if self.get(table, row.id) is not None:
            raise Conflict(f"{table.kind.name} {row.id} already exists")
        self._check_unique(table, row)
        self.rows[row.id] = row
        self.base[row.id] = NEW

    def update(self, table: Table[E], row: E) -> None:
        current = self.get(table, row.id)
        version_of = table.kind.version
        if current is None or (version_of is not None and version_of(current) != version_of(row) - 1):
            raise _stale(table, row.id)
        self._check_unique(table, row)
        self.rows[row.id] = row
        self.base.setdefault(row.id, ANY if version_of is None else version_of(current))

    def remove(self, table: Table[E], row: E) -> None:
        """Stage the removal of ``row``; raises StaleVersion unless it is visible at ``row``'s version."""
        current = self.get(table, row.id)
        version_of = table.kind.version
        if current is None or (version_of is not None and version_of(current) != version_of(row)):
            raise _stale(table, row.id)
        staged = self.rows.pop(row.id, None)
        if staged is not None and self.base[row.id] == NEW:
            del self.base[row.id]  # added and removed in this unit: nothing to commit
            return
        self.base.setdefault(row.id, ANY if version_of is None else version_of(current))
        self.removed.add(row.id)

    def verify(self, table: Table[E]) -> None:
        """Raise Conflict if another unit of work committed a clashing change since staging."""
        version_of = table.kind.version
        for row_id, base in self.base.items():
            stored = table.rows.get(row_id)
            if base == NEW and stored is not None:
                raise Conflict(f"{table.kind.name} {row_id} already exists")
            if base != NEW and (stored is None or (version_of is not None and version_of(stored) != base)):
                raise _stale(table, row_id)
        for row in self.rows.values():
            self._check_unique(table, row)

    def apply(self, table: Table[E]) -> None:
        parent_of = table.kind.parent
        # Release every old key first so two rows may swap keys in one commit.
        for field, key_of in table.kind.unique.items():
            index = table.unique[field]
            for row_id, row in self.rows.items():
                old = table.rows.get(row_id)
                old_key = None if old is None else key_of(old)
                if old_key is not None and old_key != key_of(row) and index.get(old_key) == row_id:
                    del index[old_key]
        for row_id, row in self.rows.items():
            old = table.rows.get(row_id)
            is_new = old is None
            if old is not None and parent_of is not None and parent_of(old) != parent_of(row):
                table.children.get(parent_of(old), {}).pop(row_id, None)
                is_new = True  # indexed under its new parent below
            table.rows[row_id] = row
            for field, key_of in table.kind.unique.items():
                key = key_of(row)
                if key is not None:
                    table.unique[field][key] = row_id
            if is_new and parent_of is not None:
                table.children.setdefault(parent_of(row), {})[row_id] = None
        for row_id in self.removed:
            _take_out(table, row_id)

    def _check_unique(self, table: Table[E], row: E) -> None:
        for field, key_of in table.kind.unique.items():
            key = key_of(row)
            if key is None:
                continue
            holder = table.unique[field].get(key)
            if holder is not None and holder != row.id and holder not in self.removed:
                staged = self.rows.get(holder)
                if staged is None or key_of(staged) == key:
                    raise _taken(table, field)
            if any(other.id != row.id and key_of(other) == key for other in self.rows.values()):
                raise _taken(table, field)


def _take_out(table: Table[E], row_id: UUID) -> None:
    """Remove a committed row and its entries in the table's indexes."""
    row = table.rows.pop(row_id)
    parent_of = table.kind.parent
    for field, key_of in table.kind.unique.items():
        key = key_of(row)
        if key is not None and table.unique[field].get(key) == row_id:
            del table.unique[field][key]
    if parent_of is not None:
        table.children.get(parent_of(row), {}).pop(row_id, None)


def _stale(table: Table[E], row_id: UUID) -> StaleVersion:
    return StaleVersion(f"{table.kind.name} {row_id} was changed by someone else; reload and retry")


def _taken(table: Table[E], field: str) -> Conflict:
    return Conflict(f"a {table.kind.name} with this {field.replace('_', ' ')} already exists")
