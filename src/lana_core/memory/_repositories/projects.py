"""Projects and tasks of one tenant, indexed by customer so per-customer stats stay cheap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from lana_core.domain.analytics import ProjectCounts, TaskCounts
from lana_core.domain.customers import Customer
from lana_core.domain.pagination import Page, SortOrder
from lana_core.domain.projects import Project, ProjectStats, ProjectStatus, Task, TaskStats
from lana_core.domain.queries import ProjectQuery, ProjectSort, TaskQuery
from lana_core.memory._listing import paginate
from lana_core.memory._staging import Scope

# Stats are frozen values, so the common "nothing yet" answer is one shared instance.
_NO_PROJECTS = ProjectStats(total=0, done=0, in_progress=0, overdue=0)
_NO_TASKS = TaskStats(total=0, completed=0)

_SORT_KEYS: dict[ProjectSort, tuple[Callable[[Project], Any], type[datetime | date]]] = {
    ProjectSort.CREATED_AT: (lambda p: p.created_at, datetime),
    ProjectSort.DUE_DATE: (lambda p: p.due_date, date),
}


class InMemoryProjectRepository:
    """The projects of one tenant; archived projects are kept but never listed or counted."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def add(self, project: Project) -> None:
        """Stage a new project; raises Conflict if its id exists."""
        self._scope.check_tenant(project.tenant_id, "project")
        self._scope.writing().projects.add(self._scope.space().projects, project)

    async def get(self, project_id: UUID) -> Project | None:
        return self._scope.staged.projects.get(self._scope.space().projects, project_id)

    async def update(self, project: Project) -> None:
        """Stage ``project``; raises Conflict unless the stored version is ``project.version - 1``."""
        self._scope.check_tenant(project.tenant_id, "project")
        self._scope.writing().projects.update(self._scope.space().projects, project)

    async def list(self, query: ProjectQuery) -> Page[Project]:
        """Live projects matching the query in its stable order; a missing due date sorts last."""
        key, kind = _SORT_KEYS[query.sort]
        rows = (p for p in self._live() if _matches(query, p))
        return paginate(rows, key=key, kind=kind, order=query.order, page=query.page)

    async def count(self, query: ProjectQuery) -> int:
        """How many live projects match the query."""
        return sum(1 for p in self._live() if _matches(query, p))

    async def stats_for_customer(self, customer_id: UUID, today: date) -> ProjectStats:
        live = self._live_of(customer_id)
        if not live:
            return _NO_PROJECTS
        done = in_progress = overdue = 0
        for project in live:
            done += project.status == ProjectStatus.DONE
            in_progress += project.status == ProjectStatus.IN_PROGRESS
            overdue += project.is_overdue(today)
        return ProjectStats(total=len(live), done=done, in_progress=in_progress, overdue=overdue)

    async def recent_for_customer(self, customer_id: UUID, limit: int) -> Sequence[Project]:
        """The customer's live projects, newest first."""
        return sorted(self._live_of(customer_id), key=lambda p: (p.created_at, p.id), reverse=True)[:limit]

    async def counts(self, today: date) -> ProjectCounts:
        """Counts over live projects; every status is present, zero or not."""
        live = list(self._live())
        by_status = Counter(p.status.value for p in live)
        return ProjectCounts(
            total=len(live),
            by_status={s.value: by_status[s.value] for s in ProjectStatus},
            overdue=sum(1 for p in live if p.is_overdue(today)),
        )

    def _live(self) -> Iterable[Project]:
        rows = self._scope.staged.projects.values(self._scope.space().projects)
        return (p for p in rows if p.archived_at is None)

    def _live_of(self, customer_id: UUID) -> Sequence[Project]:
        rows = self._scope.staged.projects.children(self._scope.space().projects, customer_id)
        return [p for p in rows if p.archived_at is None]


class InMemoryTaskRepository:
    """The tasks of one tenant; tasks of archived projects do not count in stats."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def add(self, task: Task) -> None:
        """Stage a new task; raises Conflict if its id exists."""
        self._scope.check_tenant(task.tenant_id, "task")
        self._scope.writing().tasks.add(self._scope.space().tasks, task)

    async def get(self, task_id: UUID) -> Task | None:
        return self._scope.staged.tasks.get(self._scope.space().tasks, task_id)

    async def update(self, task: Task) -> None:
        """Stage ``task``; raises Conflict unless the stored version is ``task.version - 1``."""
        self._scope.check_tenant(task.tenant_id, "task")
        self._scope.writing().tasks.update(self._scope.space().tasks, task)

    async def delete(self, task: Task) -> None:
        """Stage the task's removal; raises StaleVersion unless it is stored at ``task.version``."""
        self._scope.check_tenant(task.tenant_id, "task")
        self._scope.writing().tasks.remove(self._scope.space().tasks, task)

    async def list(self, query: TaskQuery) -> Page[Task]:
        """Matching tasks, oldest first by (created_at, id)."""
        rows = self._scope.staged.tasks.values(self._scope.space().tasks)
        matching = (t for t in rows if _task_matches(query, t))
        return paginate(matching, key=_created_at, kind=datetime, order=SortOrder.ASC, page=query.page)

    async def count(self, query: TaskQuery) -> int:
        """How many tasks match the query."""
        rows = self._scope.staged.tasks.values(self._scope.space().tasks)
        return sum(1 for t in rows if _task_matches(query, t))

    async def stats_for_customer(self, customer_id: UUID) -> TaskStats:
        tasks = self._scope.staged.tasks.children(self._scope.space().tasks, customer_id)
        if not tasks:
            return _NO_TASKS
        projects = self._scope.staged.projects
        table = self._scope.space().projects
        live = [t for t in tasks if _project_is_live(projects.get(table, t.project_id))]
        return TaskStats(total=len(live), completed=sum(1 for t in live if t.completed))

    async def open_assigned_to(self, user_id: UUID, limit: int) -> Sequence[Task]:
        """The user's open tasks, soonest due first (undated last), then oldest first."""
        mine = [t for t in self._live() if t.assignee_id == user_id and not t.completed]
        mine.sort(key=lambda t: (t.due_date is None, t.due_date or date.min, t.created_at, t.id))
        return mine[:limit]

    async def counts(self, today: date) -> TaskCounts:
        """Counts over the tasks of live projects of live customers; overdue as of ``today``."""
        live = list(self._live())
        open_tasks = [t for t in live if not t.completed]
        return TaskCounts(
            open=len(open_tasks),
            overdue=sum(1 for t in open_tasks if t.due_date is not None and t.due_date < today),
            completed=len(live) - len(open_tasks),
        )

    def _live(self) -> Iterable[Task]:
        """The tasks of live projects of live customers."""
        space, staged = self._scope.space(), self._scope.staged
        return (
            t
            for t in staged.tasks.values(space.tasks)
            if _project_is_live(staged.projects.get(space.projects, t.project_id))
            and _customer_is_live(staged.customers.get(space.customers, t.customer_id))
        )


def _matches(query: ProjectQuery, project: Project) -> bool:
    due = project.due_date
    return (
        (query.customer_id is None or project.customer_id == query.customer_id)
        and (query.status is None or project.status == query.status)
        and (query.priority is None or project.priority == query.priority)
        and (query.assignee_id is None or project.assignee_id == query.assignee_id)
        and (query.due_after is None or (due is not None and due >= query.due_after))
        and (query.due_before is None or (due is not None and due < query.due_before))
        and (query.overdue_on is None or project.is_overdue(query.overdue_on))
    )


def _task_matches(query: TaskQuery, task: Task) -> bool:
    return (
        (query.project_id is None or task.project_id == query.project_id)
        and (query.completed is None or task.completed is query.completed)
        and (query.assignee_id is None or task.assignee_id == query.assignee_id)
    )


def _customer_is_live(customer: Customer | None) -> bool:
    return customer is not None and customer.archived_at is None


def _project_is_live(project: Project | None) -> bool:
    return project is not None and project.archived_at is None


def _created_at(task: Task) -> datetime:
    return task.created_at
