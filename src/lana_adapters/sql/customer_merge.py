"""Customer merges and duplicate detection: the SQL half of the customer repository."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from sqlalchemy import Table, Update, select

from lana_adapters.sql.tables import customers, insights, interactions, projects, tasks
from lana_adapters.sql.tx import Tx
from lana_core.domain.duplicates import MatchKey

c = customers.c
MATCH_KEY_BATCH = 50_000


async def match_keys(tx: Tx) -> list[MatchKey]:
    """What duplicate detection reads of every live (not archived) customer, in id order,
    :data:`MATCH_KEY_BATCH` at a time: a tenant of a million stays clear of the statement
    timeout, each statement walking the primary key from where the last one stopped."""
    keys: list[MatchKey] = []
    after: UUID | None = None
    while True:
        statement = (
            select(c.id, c.name, c.email, c.phone, c.company)
            .where(c.tenant_id == tx.tenant_id, c.archived_at.is_(None))
            .order_by(c.id)
            .limit(MATCH_KEY_BATCH)
        )
        if after is not None:
            statement = statement.where(c.id > after)
        rows = await tx.rows(statement)
        keys.extend(
            MatchKey(id=row.id, name=row.name, email=row.email, phone=row.phone, company=row.company)
            for row in rows
        )
        if len(rows) < MATCH_KEY_BATCH:
            return keys
        after = rows[-1].id


async def move_related(tx: Tx, source_ids: Collection[UUID], target_id: UUID, now: datetime) -> None:
    """Move the projects, tasks, interactions and insights of ``source_ids`` to ``target_id``:
    one UPDATE per table, each moved versioned row at its next version."""
    sources = list(source_ids)
    for table, stamped in ((projects, True), (tasks, True), (interactions, False)):
        changes = {"customer_id": target_id, "version": table.c.version + 1}
        if stamped:
            changes["updated_at"] = now
        await tx.write(_of_sources(table, tx, sources).values(changes))
    await tx.write(_of_sources(insights, tx, sources).values(customer_id=target_id))


def _of_sources(table: Table, tx: Tx, sources: list[UUID]) -> Update:
    return table.update().where(table.c.tenant_id == tx.tenant_id, table.c.customer_id.in_(sources))
