"""Inserts, reads by id and version-checked updates and deletes shared by the repositories,
prepared once per table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar
from uuid import UUID

from sqlalchemy import Select, Table, bindparam, select

from lana_adapters.sql.converter import Values
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.tx import AnyRow, Tx
from lana_core.errors import StaleVersion

# Never rewritten by an update: the row's identity and birth.
_FIXED = frozenset({"tenant_id", "id", "created_at"})


def check_tenant(tx: Tx, tenant_id: UUID, kind: str) -> None:
    """Refuse a record of another tenant: a unit of work writes only its own tenant's rows."""
    if tenant_id != tx.tenant_id:
        raise ValueError(f"this unit of work is for tenant {tx.tenant_id}, not this {kind}'s tenant")


def writable(table: Table) -> list[str]:
    """The columns a row's values name: all but generated and identity ones."""
    return [c.name for c in table.columns if c.computed is None and c.identity is None]


def insert(table: Table) -> Prepared:
    """An INSERT of every writable column of ``table``, one row or many."""
    return Prepared(table.insert(), table=table, keys=writable(table))


def versioned_update(table: Table) -> Prepared:
    """``UPDATE`` of one row of the tenant, only while it is at the version before the new one."""
    statement = table.update().where(
        table.c.tenant_id == bindparam("w_tenant"),
        table.c.id == bindparam("w_id"),
        table.c.version == bindparam("w_version"),
    )
    return Prepared(statement, table=table, keys=[k for k in writable(table) if k not in _FIXED])


def versioned_delete(table: Table) -> Prepared:
    """``DELETE`` of one row of the tenant, only while it is at the given version."""
    statement = table.delete().where(
        table.c.tenant_id == bindparam("tenant"),
        table.c.id == bindparam("id"),
        table.c.version == bindparam("version"),
    )
    return Prepared(statement, by_key=True)


async def add(tx: Tx, statement: Prepared, values: dict[str, Any] | list[dict[str, Any]]) -> None:
    """Insert one row or many; raises Conflict if a key is taken, ValidationError if a
    referenced record does not exist."""
    if values:
        await tx.insert(statement, values)


async def update_versioned(tx: Tx, statement: Prepared, values: dict[str, Any], kind: str) -> None:
    """Run a :func:`versioned_update`; raises StaleVersion when the stored version is not the
    one before, Conflict when a unique key is taken."""
    params = {key: value for key, value in values.items() if key not in _FIXED}
    params.update(w_tenant=values["tenant_id"], w_id=values["id"], w_version=values["version"] - 1)
    if await tx.write(statement, params) != 1:
        raise StaleVersion(f"{kind} {values['id']} was changed by someone else; reload and retry")


async def delete_versioned(tx: Tx, statement: Prepared, row_id: UUID, version: int, kind: str) -> None:
    """Run a :func:`versioned_delete`; raises StaleVersion when no row of the tenant is
    stored at ``version`` (changed or deleted meanwhile)."""
    params = {"tenant": tx.tenant_id, "id": row_id, "version": version}
    if await tx.write(statement, params) != 1:
        raise StaleVersion(f"{kind} {row_id} was changed by someone else; reload and retry")


class TenantRecord(Protocol):
    """A record of one tenant, stored at a version."""

    @property
    def tenant_id(self) -> UUID: ...

    @property
    def id(self) -> UUID: ...

    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=TenantRecord)


class TenantRows(Generic[R]):
    """One table of a tenant's versioned records: adding, reading by id, updating and
    deleting one, by statements prepared once, for every repository of such records.

    ``kind`` names the record in errors; ``selected`` is the SELECT a record is read by (all
    the table's columns by default), to which the tenant and the id are added.
    """

    __slots__ = ("_delete", "_get", "_insert", "_read", "_update", "_write", "kind")

    def __init__(
        self,
        table: Table,
        kind: str,
        read: Callable[[AnyRow], R],
        write: Callable[[R], Values],
        *,
        selected: Select[Any] | None = None,
    ) -> None:
        self.kind = kind
        self._read, self._write = read, write
        self._insert = insert(table)
        self._update, self._delete = versioned_update(table), versioned_delete(table)
        by_id = (select(table) if selected is None else selected).where(
            table.c.tenant_id == bindparam("tenant"), table.c.id == bindparam("id")
        )
        self._get = Prepared(by_id, by_key=True)

    async def add(self, tx: Tx, *records: R) -> None:
        """Insert new records, one statement for many on PostgreSQL (see
        :meth:`Prepared.bulk`); raises Conflict if a key is taken, ValidationError if a
        referenced record does not exist."""
        for record in records:
            check_tenant(tx, record.tenant_id, self.kind)
        values = [self._write(record) for record in records]
        await add(tx, self._insert, values[0] if len(values) == 1 else values)

    async def get(self, tx: Tx, record_id: UUID) -> R | None:
        row = await tx.first(self._get, {"tenant": tx.tenant_id, "id": record_id})
        return None if row is None else self._read(row)

    async def update(self, tx: Tx, record: R) -> None:
        """Store ``record``; raises StaleVersion unless the stored version is the one before."""
        check_tenant(tx, record.tenant_id, self.kind)
        await update_versioned(tx, self._update, self._write(record), self.kind)

    async def delete(self, tx: Tx, record: R) -> None:
        """Delete ``record``; raises StaleVersion unless it is stored at its version."""
        check_tenant(tx, record.tenant_id, self.kind)
        await delete_versioned(tx, self._delete, record.id, record.version, self.kind)
