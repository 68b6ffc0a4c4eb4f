"""The customers of one tenant: unique emails, versioned updates, filtered keyset lists, counts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    func,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB

from lana_adapters.sql import customer_merge, search
from lana_adapters.sql import projects as project_rows
from lana_adapters.sql import tasks as task_rows
from lana_adapters.sql.days import as_date, utc_day
from lana_adapters.sql.paging import after, order_by, page_of
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.repository import TxRepository
from lana_adapters.sql.rows import customer_of, customer_values
from lana_adapters.sql.tables import customers
from lana_adapters.sql.tx import Features, Tx
from lana_adapters.sql.writes import TenantRows
from lana_core.domain.analytics import CustomerCounts, DayCount
from lana_core.domain.customers import Customer, CustomerStatus, CustomerValue, CustomerView
from lana_core.domain.duplicates import MatchKey
from lana_core.domain.pagination import KeyKind, Page
from lana_core.domain.projects import ProjectStats, TaskStats
from lana_core.domain.queries import RELEVANCE, Archived, CustomerQuery

c = customers.c
_Read = Callable[[Select[Any]], Awaitable[Sequence[Any]]]
COLUMNS = tuple(col for col in customers.c if not col.name.startswith("search_"))
_CUSTOMERS = TenantRows(customers, "customer", customer_of, customer_values, selected=select(*COLUMNS))
_PROJECT_STATS = project_rows.STATS.subquery("project_stats")
_TASK_STATS = task_rows.STATS.subquery("task_stats")
# The customer and its stats in one round trip: each stats query yields exactly one row.
_VIEW = Prepared(
    select(
        *COLUMNS,
        *(column.label(f"project_{column.name}") for column in _PROJECT_STATS.c),
        *(column.label(f"task_{column.name}") for column in _TASK_STATS.c),
    )
    .select_from(customers.join(_PROJECT_STATS, true()).join(_TASK_STATS, true()))
    .where(c.tenant_id == bindparam("tenant"), c.id == bindparam("customer")),
    by_key=True,  # the stats count one customer's projects and tasks
)
_COUNTS = Prepared(
    select(c.status, c.value, func.count(), func.count(c.activated_at))
    .where(c.tenant_id == bindparam("tenant"), c.archived_at.is_(None))
    .group_by(c.status, c.value)
)
_KEYS_PER_QUERY = 500
_SORTS: dict[str, tuple[ColumnElement[Any], KeyKind]] = {
    "created_at": (c.created_at, datetime),
    "updated_at": (c.updated_at, datetime),
    "name": (c.name, str),
}


class SqlCustomerRepository(TxRepository):
    """The customers of the unit of work's tenant, archived or not."""

    __slots__ = ()

    async def add(self, customer: Customer) -> None:
        """Store a new customer; raises Conflict if its id or email is taken in the tenant."""
        await _CUSTOMERS.add(self._tx, customer)

    async def add_many(self, batch: Sequence[Customer]) -> None:
        """Store new customers in one statement on PostgreSQL (see :meth:`Prepared.bulk`), one
        batch of inserts on SQLite; raises Conflict if any id or email is taken in the tenant
        or repeated among them."""
        await _CUSTOMERS.add(self._tx, *batch)

    async def get(self, customer_id: UUID) -> Customer | None:
        return await _CUSTOMERS.get(self._tx, customer_id)

    async def emails_taken(self, emails: Collection[str]) -> set[str]:
        """Which of ``emails`` a customer of this tenant has, archived or not; asked in chunks
        that keep each statement's parameters well under SQLite's limit."""
        wanted = list(dict.fromkeys(emails))
        taken: set[str] = set()
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            chunk = wanted[start : start + _KEYS_PER_QUERY]
            statement = select(c.email).where(c.tenant_id == self._tx.tenant_id, c.email.in_(chunk))
            taken.update(row.email for row in await self._tx.rows(statement))
        return taken

    async def with_emails(self, emails: Collection[str]) -> list[Customer]:
        """The customers of this tenant, archived or not, whose email is one of ``emails``;
        asked in chunks, as :meth:`emails_taken` does."""
        return await self._holding(c.email, emails)

    async def with_external_ids(self, external_ids: Collection[str]) -> list[Customer]:
        """The customers of this tenant, archived or not, whose external id is one of
        ``external_ids``; asked in chunks, as :meth:`emails_taken` does."""
        return await self._holding(c.external_id, external_ids)

    async def _holding(self, column: ColumnElement[Any], keys: Collection[str]) -> list[Customer]:
        wanted = list(dict.fromkeys(keys))
        found: list[Customer] = []
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            chunk = wanted[start : start + _KEYS_PER_QUERY]
            statement = select(*COLUMNS).where(c.tenant_id == self._tx.tenant_id, column.in_(chunk))
            found.extend(customer_of(row) for row in await self._tx.rows(statement))
        return found

    async def get_view(self, customer_id: UUID, today: date) -> CustomerView | None:
        params = {"tenant": self._tx.tenant_id, "customer": customer_id, "today": today}
        row = await self._tx.first(_VIEW, params)
        if row is None:
            return None
        return CustomerView(
            customer=customer_of(row),
            project_stats=ProjectStats(
                total=row.project_total,
                done=row.project_done,
                in_progress=row.project_in_progress,
                overdue=row.project_overdue,
            ),
            task_stats=TaskStats(total=row.task_total, completed=row.task_completed),
        )

    async def update(self, customer: Customer) -> None:
        """Store ``customer``; raises Conflict unless the stored version is ``customer.version - 1``
        or if its new email is taken."""
        await _CUSTOMERS.update(self._tx, customer)

    async def list(self, query: CustomerQuery) -> Page[Customer]:
        """Matching customers in the query's stable order, one page at a time."""
        ranked = query.sort == RELEVANCE
        found = await self._search(query)
        key, kind = (
            (found.rank, int)
            if found is not None and ranked
            else _SORTS.get(query.sort, _SORTS["created_at"])
        )
        statement = _matching(select(*COLUMNS), self._tx, query, found)
        if query.page.after is not None:
            statement = statement.where(after(key, c.id, query.order, query.page.after, kind))
        statement = statement.order_by(*order_by(key, c.id, query.order)).limit(query.page.limit + 1)
        read = self._tx.rows_in_index_order if found is not None and found.common else self._tx.rows
        if kind is int:
            return await self._ranked_page(read, statement, key, query)
        rows = await read(statement)
        field = query.sort if query.sort in _SORTS else "created_at"
        return page_of(rows, query.page, customer_of, lambda customer: getattr(customer, field))

    async def count(self, query: CustomerQuery) -> int:
        """How many customers :meth:`list` finds for ``query`` on all its pages together."""
        found = await self._search(query)
        statement = _matching(select(func.count()).select_from(customers), self._tx, query, found)
        count: int = await self._tx.scalar(statement)
        return count

    async def counts(self) -> CustomerCounts:
        """Counts over live customers; every status and value is present, zero or not."""
        by_status = dict.fromkeys((s.value for s in CustomerStatus), 0)
        by_value = dict.fromkeys((v.value for v in CustomerValue), 0)
        total = activated = 0
        for status, value, count, ever_active in await self._tx.rows(_COUNTS, {"tenant": self._tx.tenant_id}):
            by_status[status] += count
            by_value[value] += count
            total += count
            activated += ever_active
        return CustomerCounts(total=total, by_status=by_status, by_value=by_value, ever_activated=activated)

    async def created_per_day(self, since: datetime) -> Sequence[DayCount]:
        """Live customers created since ``since``, counted per UTC day, oldest first."""
        day = utc_day(self._tx.features, c.created_at)
        statement = (
            select(day, func.count())
            .where(c.tenant_id == self._tx.tenant_id, c.archived_at.is_(None), c.created_at >= since)
            .group_by(day)
            .order_by(day)
        )
        return [DayCount(as_date(when), count) for when, count in await self._tx.rows(statement)]

    async def match_keys(self) -> Sequence[MatchKey]:
        """What duplicate detection reads of every live customer."""
        return await customer_merge.match_keys(self._tx)

    async def move_related(self, source_ids: Collection[UUID], target_id: UUID, now: datetime) -> None:
        """Move the projects, tasks, interactions and insights of ``source_ids`` to ``target_id``
        (see the port)."""
        await customer_merge.move_related(self._tx, source_ids, target_id, now)

    async def _search(self, query: CustomerQuery) -> search.TextSearch | None:
        if not query.text:
            return None
        return await search.text_search(self._tx, query.text, fuzzy=query.sort == RELEVANCE)

    async def _ranked_page(
        self, read: _Read, statement: Select[Any], key: ColumnElement[Any], query: CustomerQuery
    ) -> Page[Customer]:
        rows = await read(statement.add_columns(key.label("rank")))
        ranks = {row.id: row.rank for row in rows}
        return page_of(rows, query.page, customer_of, lambda customer: ranks[customer.id])


def _matching(
    statement: Select[Any], tx: Tx, query: CustomerQuery, found: search.TextSearch | None
) -> Select[Any]:
    """``statement`` narrowed to the customers matching ``query`` (and its text, ``found``)."""
    statement = statement.where(*_filters(tx, query))
    if found is not None and found.matches is not None:
        statement = statement.join_from(customers, found.matches, found.matches.c.customer_id == c.id)
    if found is not None and found.condition is not None:
        statement = statement.where(found.condition)
    return statement


def _filters(tx: Tx, query: CustomerQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [c.tenant_id == tx.tenant_id]
    if query.archived == Archived.EXCLUDE:
        found.append(c.archived_at.is_(None))
    elif query.archived == Archived.ONLY:
        found.append(c.archived_at.is_not(None))
    if query.status is not None:
        found.append(c.status == query.status.value)
    if query.value is not None:
        found.append(c.value == query.value.value)
    if query.owner_id is not None:
        found.append(c.owner_id == query.owner_id)
    if query.tag is not None:
        found.append(_has_tag(tx.features, query.tag))
    if query.created_after is not None:
        found.append(c.created_at >= query.created_after)
    if query.created_before is not None:
        found.append(c.created_at < query.created_before)
    return found


def _has_tag(features: Features, tag: str) -> ColumnElement[bool]:
    if features.postgres:
        return type_coerce(c.tags, JSONB).contains([tag])
    elements = func.json_each(c.tags).table_valued("value")
    return select(elements.c.value).where(elements.c.value == tag).exists()
