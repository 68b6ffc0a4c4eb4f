"""The projects of one tenant: versioned updates, filtered keyset lists, per-customer stats."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, bindparam, func, select

from lana_adapters.sql.paging import after, order_by, page_of
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.repository import TxRepository
from lana_adapters.sql.rows import project_of, project_values
from lana_adapters.sql.tables import projects
from lana_adapters.sql.tx import Tx
from lana_adapters.sql.writes import TenantRows
from lana_core.domain.analytics import ProjectCounts
from lana_core.domain.pagination import KeyKind, Page
from lana_core.domain.projects import Project, ProjectStats, ProjectStatus
from lana_core.domain.queries import ProjectQuery

p = projects.c
_LIVE = p.archived_at.is_(None)
_PROJECTS = TenantRows(projects, "project", project_of, project_values)
_OVERDUE = and_(p.due_date < bindparam("today"), p.status != ProjectStatus.DONE.value)
# One row, whatever the customer has: also joined into the customer view (sql/customers.py).
STATS = select(
    func.count().label("total"),
    func.count().filter(p.status == ProjectStatus.DONE.value).label("done"),
    func.count().filter(p.status == ProjectStatus.IN_PROGRESS.value).label("in_progress"),
    func.count().filter(_OVERDUE).label("overdue"),
).where(p.tenant_id == bindparam("tenant"), p.customer_id == bindparam("customer"), _LIVE)
_STATS = Prepared(STATS)
_RECENT = Prepared(
    select(projects)
    .where(p.tenant_id == bindparam("tenant"), p.customer_id == bindparam("customer"), _LIVE)
    .order_by(p.created_at.desc(), p.id.desc())
    .limit(bindparam("limit"))
)
_COUNTS = Prepared(
    select(p.status, func.count(), func.count().filter(_OVERDUE))
    .where(p.tenant_id == bindparam("tenant"), _LIVE)
    .group_by(p.status)
)
_SORTS: dict[str, tuple[ColumnElement[Any], KeyKind]] = {
    "created_at": (p.created_at, datetime),
    "due_date": (p.due_date, date),
}


class SqlProjectRepository(TxRepository):
    """The projects of the unit of work's tenant; archived ones are kept but never listed or counted."""

    __slots__ = ()

    async def add(self, project: Project) -> None:
        """Store a new project; raises Conflict if its id exists, ValidationError if its
        customer does not."""
        await _PROJECTS.add(self._tx, project)

    async def get(self, project_id: UUID) -> Project | None:
        return await _PROJECTS.get(self._tx, project_id)

    async def update(self, project: Project) -> None:
        """Store ``project``; raises Conflict unless the stored version is ``project.version - 1``."""
        await _PROJECTS.update(self._tx, project)

    async def list(self, query: ProjectQuery) -> Page[Project]:
        """Live projects matching the query in its stable order; a missing due date sorts last."""
        key, kind = _SORTS[query.sort]
        statement = select(projects).where(*_filters(self._tx, query))
        if query.page.after is not None:
            statement = statement.where(after(key, p.id, query.order, query.page.after, kind))
        statement = statement.order_by(*order_by(key, p.id, query.order)).limit(query.page.limit + 1)
        rows = await self._tx.rows(statement)
        return page_of(rows, query.page, project_of, lambda project: getattr(project, query.sort))

    async def count(self, query: ProjectQuery) -> int:
        """How many live projects match the query."""
        statement = select(func.count()).select_from(projects).where(*_filters(self._tx, query))
        count: int = await self._tx.scalar(statement)
        return count

    async def stats_for_customer(self, customer_id: UUID, today: date) -> ProjectStats:
        params = {"tenant": self._tx.tenant_id, "customer": customer_id, "today": today}
        row = await self._tx.first(_STATS, params)
        assert row is not None
        total, done, in_progress, overdue = row
        return ProjectStats(total=total, done=done, in_progress=in_progress, overdue=overdue)

    async def recent_for_customer(self, customer_id: UUID, limit: int) -> Sequence[Project]:
        """The customer's live projects, newest first."""
        params = {"tenant": self._tx.tenant_id, "customer": customer_id, "limit": limit}
        return [project_of(row) for row in await self._tx.rows(_RECENT, params)]

    async def counts(self, today: date) -> ProjectCounts:
        """Counts over live projects; every status is present, zero or not."""
        by_status = dict.fromkeys((s.value for s in ProjectStatus), 0)
        overdue = 0
        for status, count, late in await self._tx.rows(
            _COUNTS, {"tenant": self._tx.tenant_id, "today": today}
        ):
            by_status[status] = count
            overdue += late
        return ProjectCounts(total=sum(by_status.values()), by_status=by_status, overdue=overdue)


def _filters(tx: Tx, query: ProjectQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [p.tenant_id == tx.tenant_id, _LIVE]
    if query.customer_id is not None:
        found.append(p.customer_id == query.customer_id)
    if query.status is not None:
        found.append(p.status == query.status.value)
    if query.priority is not None:
        found.append(p.priority == query.priority.value)
    if query.assignee_id is not None:
        found.append(p.assignee_id == query.assignee_id)
    if query.due_after is not None:
        found.append(p.due_date >= query.due_after)
    if query.due_before is not None:
        found.append(p.due_date < query.due_before)
    if query.overdue_on is not None:
        found.append(and_(p.due_date < query.overdue_on, p.status != ProjectStatus.DONE.value))
    return found
