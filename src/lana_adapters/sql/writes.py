"""Inserts and version-checked updates shared by the repositories."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Table, Update, bindparam

from lana_adapters.sql.tx import Tx
from lana_core.errors import StaleVersion

# Never rewritten by an update: the row's identity and birth.
_FIXED = frozenset({"tenant_id", "id", "created_at"})


def check_tenant(tx: Tx, tenant_id: UUID, kind: str) -> None:
    """Refuse a record of another tenant: a unit of work writes only its own tenant's rows."""
    if tenant_id != tx.tenant_id:
        raise ValueError(f"this unit of work is for tenant {tx.tenant_id}, not this {kind}'s tenant")


async def insert_one(tx: Tx, table: Table, values: dict[str, Any]) -> None:
    """Insert one row; raises Conflict if its key is taken."""
    await tx.execute(table.insert(), values)


def versioned_update(table: Table) -> Update:
    """``UPDATE`` of one row of the tenant, only while it is at the version before the new one."""
    return table.update().where(
        table.c.tenant_id == bindparam("w_tenant"),
        table.c.id == bindparam("w_id"),
        table.c.version == bindparam("w_version"),
    )


async def update_versioned(tx: Tx, statement: Update, values: dict[str, Any], kind: str) -> None:
    """Run a :func:`versioned_update`; raises Conflict when the stored version is not the one before."""
    params = {key: value for key, value in values.items() if key not in _FIXED}
    params.update(w_tenant=values["tenant_id"], w_id=values["id"], w_version=values["version"] - 1)
    result = await tx.execute(statement, params)
    if result.rowcount != 1:
        raise StaleVersion(f"{kind} {values['id']} was changed by someone else; reload and retry")
