"""The records of one tenant's history: interactions, and the append-only insights and audit entries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, func, select

from lana_adapters.sql import paging
from lana_adapters.sql.days import as_date, utc_day
from lana_adapters.sql.paging import order_by, page_of
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.records import (
    audit_of,
    audit_values,
    insight_of,
    insight_values,
    interaction_of,
    interaction_values,
)
from lana_adapters.sql.repository import TxRepository
from lana_adapters.sql.tables import api_keys, audit_log, insights, interactions
from lana_adapters.sql.writes import TenantRows, add, check_tenant, insert
from lana_core.domain.analytics import InteractionDay, interaction_days
from lana_core.domain.audit import AuditEntry
from lana_core.domain.insights import Insight, InsightSource
from lana_core.domain.interactions import Interaction
from lana_core.domain.pagination import Cursor, Page, PageRequest, SortOrder

i, n, a, k = interactions.c, insights.c, audit_log.c, api_keys.c
# Interactions as they are read: each with the name of the API key it was recorded with.
_INTERACTIONS = select(interactions, k.name.label("api_key_name")).select_from(
    interactions.outerjoin(api_keys, (k.tenant_id == i.tenant_id) & (k.id == i.api_key_id))
)
_OF_CUSTOMER = (i.tenant_id == bindparam("tenant"), i.customer_id == bindparam("customer"))
_INSERT_INSIGHT, _INSERT_AUDIT = insert(insights), insert(audit_log)
_INTERACTION_ROWS = TenantRows(
    interactions, "interaction", interaction_of, interaction_values, selected=_INTERACTIONS
)
_INTERACTION_COUNT = Prepared(select(func.count()).where(*_OF_CUSTOMER))
_INTERACTION_COUNT_SINCE = Prepared(
    select(func.count()).where(*_OF_CUSTOMER, i.occurred_at >= bindparam("since"))
)
_LAST_INTERACTION = Prepared(
    _INTERACTIONS.where(*_OF_CUSTOMER).order_by(i.occurred_at.desc(), i.id.desc()).limit(1)
)
_LATEST_INSIGHT = Prepared(
    select(insights)
    .where(n.tenant_id == bindparam("tenant"), n.customer_id == bindparam("customer"))
    .order_by(n.created_at.desc(), n.id.desc())
    .limit(1)
)
_MODEL_INSIGHTS = Prepared(
    select(func.count()).where(
        n.tenant_id == bindparam("tenant"),
        n.source == InsightSource.LLM.value,
        n.created_at >= bindparam("since"),
    )
)
_AUDIT = Prepared(
    select(audit_log)
    .where(a.tenant_id == bindparam("tenant"), a.customer_id == bindparam("customer"))
    .order_by(a.occurred_at.desc(), a.id.desc())
    .limit(bindparam("limit"))
)


class SqlInteractionRepository(TxRepository):
    """The tenant's interactions with its customers; corrected in place, deleted for good."""

    __slots__ = ()

    async def add(self, interaction: Interaction) -> None:
        """Store an interaction; raises ValidationError if its customer does not exist."""
        await _INTERACTION_ROWS.add(self._tx, interaction)

    async def get(self, interaction_id: UUID) -> Interaction | None:
        return await _INTERACTION_ROWS.get(self._tx, interaction_id)

    async def update(self, interaction: Interaction) -> None:
        """Store ``interaction``; raises StaleVersion unless the stored version is one less."""
        await _INTERACTION_ROWS.update(self._tx, interaction)

    async def delete(self, interaction: Interaction) -> None:
        """Delete ``interaction``; raises StaleVersion unless it is stored at its version."""
        await _INTERACTION_ROWS.delete(self._tx, interaction)

    async def list_for_customer(self, customer_id: UUID, page: PageRequest) -> Page[Interaction]:
        """The customer's interactions, newest ``occurred_at`` first (ties: larger id first)."""
        statement = _INTERACTIONS.where(i.tenant_id == self._tx.tenant_id, i.customer_id == customer_id)
        if page.after is not None:
            statement = statement.where(
                paging.after(i.occurred_at, i.id, SortOrder.DESC, page.after, datetime)
            )
        statement = statement.order_by(*order_by(i.occurred_at, i.id, SortOrder.DESC)).limit(page.limit + 1)
        rows = await self._tx.rows(statement)
        return page_of(rows, page, interaction_of, lambda interaction: interaction.occurred_at)

    async def count_for_customer(self, customer_id: UUID, since: datetime | None = None) -> int:
        params = {"tenant": self._tx.tenant_id, "customer": customer_id}
        if since is None:
            count: int = await self._tx.scalar(_INTERACTION_COUNT, params)
        else:
            count = await self._tx.scalar(_INTERACTION_COUNT_SINCE, {**params, "since": since})
        return count

    async def last_for_customer(self, customer_id: UUID) -> Interaction | None:
        row = await self._tx.first(_LAST_INTERACTION, {"tenant": self._tx.tenant_id, "customer": customer_id})
        return None if row is None else interaction_of(row)

    async def per_day(self, since: datetime, until: datetime) -> Sequence[InteractionDay]:
        """The interactions that occurred in ``[since, until)`` per UTC day and type, oldest day first."""
        day = utc_day(self._tx.features, i.occurred_at)
        statement = (
            select(day, i.type, func.count())
            .where(i.tenant_id == self._tx.tenant_id, i.occurred_at >= since, i.occurred_at < until)
            .group_by(day, i.type)
        )
        rows = await self._tx.rows(statement)
        return interaction_days((as_date(when), kind, count) for when, kind, count in rows)


class SqlInsightRepository(TxRepository):
    """The tenant's stored insights."""

    __slots__ = ()

    async def add(self, insight: Insight) -> None:
        """Store an insight; raises ValidationError if its customer does not exist."""
        check_tenant(self._tx, insight.tenant_id, "insight")
        await add(self._tx, _INSERT_INSIGHT, insight_values(insight))

    async def latest_for_customer(self, customer_id: UUID) -> Insight | None:
        row = await self._tx.first(_LATEST_INSIGHT, {"tenant": self._tx.tenant_id, "customer": customer_id})
        return None if row is None else insight_of(row)

    async def list_for_customer(self, customer_id: UUID, page: PageRequest) -> Page[Insight]:
        """The customer's insights, newest first (ties: larger id first)."""
        statement = select(insights).where(n.tenant_id == self._tx.tenant_id, n.customer_id == customer_id)
        if page.after is not None:
            statement = statement.where(
                paging.after(n.created_at, n.id, SortOrder.DESC, page.after, datetime)
            )
        statement = statement.order_by(*order_by(n.created_at, n.id, SortOrder.DESC)).limit(page.limit + 1)
        return page_of(await self._tx.rows(statement), page, insight_of, lambda insight: insight.created_at)

    async def count_since(self, since: datetime) -> int:
        """Insights in this tenant created since ``since`` by a model (source = llm)."""
        count: int = await self._tx.scalar(_MODEL_INSIGHTS, {"tenant": self._tx.tenant_id, "since": since})
        return count


class SqlAuditLog(TxRepository):
    """The tenant's audit trail, written in the same transaction as the changes it describes."""

    __slots__ = ()

    async def append(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            check_tenant(self._tx, entry.tenant_id, "audit entry")
        await self._tx.append(_INSERT_AUDIT, [audit_values(entry) for entry in entries])

    async def list_for_customer(
        self, customer_id: UUID, limit: int, *, after: Cursor | None = None
    ) -> Sequence[AuditEntry]:
        """Entries about the customer or its projects and tasks, newest first (ties: larger id
        first), past ``after`` when given."""
        if after is None:
            params = {"tenant": self._tx.tenant_id, "customer": customer_id, "limit": limit}
            return [audit_of(row) for row in await self._tx.rows(_AUDIT, params)]
        statement = (
            select(audit_log)
            .where(a.tenant_id == self._tx.tenant_id, a.customer_id == customer_id)
            .where(paging.after(a.occurred_at, a.id, SortOrder.DESC, after, datetime))
            .order_by(*order_by(a.occurred_at, a.id, SortOrder.DESC))
            .limit(limit)
        )
        return [audit_of(row) for row in await self._tx.rows(statement)]
