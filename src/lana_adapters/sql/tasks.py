"""The tasks of one tenant: versioned updates, oldest-first lists, per-customer completion."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import ColumnElement, bindparam, func, select

from lana_adapters.sql.paging import after, order_by, page_of
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.repository import TxRepository
from lana_adapters.sql.rows import task_of, task_values
from lana_adapters.sql.tables import customers, projects, tasks
from lana_adapters.sql.tx import Tx
from lana_adapters.sql.writes import TenantRows
from lana_core.domain.analytics import TaskCounts
from lana_core.domain.pagination import Page, SortOrder
from lana_core.domain.projects import Task, TaskStats
from lana_core.domain.queries import TaskQuery

t = tasks.c
_TASKS = TenantRows(tasks, "task", task_of, task_values)
# Tasks of archived projects do not count.
# One row, whatever the customer has: also joined into the customer view (sql/customers.py).
STATS = (
    select(func.count().label("total"), func.count().filter(t.completed).label("completed"))
    .select_from(
        tasks.join(projects, (projects.c.tenant_id == t.tenant_id) & (projects.c.id == t.project_id))
    )
    .where(t.tenant_id == bindparam("tenant"), t.customer_id == bindparam("customer"))
    .where(projects.c.archived_at.is_(None))
)
_STATS = Prepared(STATS)
# Tasks of live projects of live customers: what My work and the tenant's task counts read.
_WITH_LIVE_OWNERS = tasks.join(
    projects, (projects.c.tenant_id == t.tenant_id) & (projects.c.id == t.project_id)
).join(customers, (customers.c.tenant_id == t.tenant_id) & (customers.c.id == t.customer_id))
_LIVE_OWNERS = (projects.c.archived_at.is_(None), customers.c.archived_at.is_(None))
# Read through ix_tasks_assignee: a user's tasks are few, so sorting them costs nothing.
_OPEN_ASSIGNED = Prepared(
    select(tasks)
    .select_from(_WITH_LIVE_OWNERS)
    .where(t.tenant_id == bindparam("tenant"), t.assignee_id == bindparam("user"), t.completed.is_(False))
    .where(*_LIVE_OWNERS)
    .order_by(t.due_date.is_(None), t.due_date, t.created_at, t.id)
    .limit(bindparam("limit"))
)
_OPEN = t.completed.is_(False)
_COUNTS = Prepared(
    select(
        func.count().filter(_OPEN),
        func.count().filter(_OPEN, t.due_date < bindparam("today")),
        func.count().filter(t.completed),
    )
    .select_from(_WITH_LIVE_OWNERS)
    .where(t.tenant_id == bindparam("tenant"), *_LIVE_OWNERS)
)


class SqlTaskRepository(TxRepository):
    """The tasks of the unit of work's tenant."""

    __slots__ = ()

    async def add(self, task: Task) -> None:
        """Store a new task; raises Conflict if its id exists, ValidationError if its project does not."""
        await _TASKS.add(self._tx, task)

    async def get(self, task_id: UUID) -> Task | None:
        return await _TASKS.get(self._tx, task_id)

    async def update(self, task: Task) -> None:
        """Store ``task``; raises Conflict unless the stored version is ``task.version - 1``."""
        await _TASKS.update(self._tx, task)

    async def delete(self, task: Task) -> None:
        """Delete ``task``; raises StaleVersion unless it is stored at ``task.version``."""
        await _TASKS.delete(self._tx, task)

    async def list(self, query: TaskQuery) -> Page[Task]:
        """Matching tasks, oldest first by (created_at, id)."""
        statement = select(tasks).where(*_filters(self._tx, query))
        if query.page.after is not None:
            statement = statement.where(after(t.created_at, t.id, SortOrder.ASC, query.page.after, datetime))
        statement = statement.order_by(*order_by(t.created_at, t.id, SortOrder.ASC)).limit(
            query.page.limit + 1
        )
        return page_of(await self._tx.rows(statement), query.page, task_of, lambda task: task.created_at)

    async def count(self, query: TaskQuery) -> int:
        """How many tasks match the query."""
        statement = select(func.count()).select_from(tasks).where(*_filters(self._tx, query))
        count: int = await self._tx.scalar(statement)
        return count

    async def stats_for_customer(self, customer_id: UUID) -> TaskStats:
        row = await self._tx.first(_STATS, {"tenant": self._tx.tenant_id, "customer": customer_id})
        assert row is not None
        return TaskStats(total=row[0], completed=row[1])

    async def open_assigned_to(self, user_id: UUID, limit: int) -> Sequence[Task]:
        """The user's open tasks, soonest due first (undated last), then oldest first."""
        rows = await self._tx.rows(
            _OPEN_ASSIGNED, {"tenant": self._tx.tenant_id, "user": user_id, "limit": limit}
        )
        return [task_of(row) for row in rows]

    async def counts(self, today: date) -> TaskCounts:
        """Counts over the tasks of live projects of live customers; overdue as of ``today``."""
        row = await self._tx.first(_COUNTS, {"tenant": self._tx.tenant_id, "today": today})
        assert row is not None  # an aggregate without GROUP BY always has its row
        return TaskCounts(open=row[0], overdue=row[1], completed=row[2])


def _filters(tx: Tx, query: TaskQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [t.tenant_id == tx.tenant_id]
    if query.project_id is not None:
        found.append(t.project_id == query.project_id)
    if query.completed is not None:
        found.append(t.completed == query.completed)
    if query.assignee_id is not None:
        found.append(t.assignee_id == query.assignee_id)
    return found
