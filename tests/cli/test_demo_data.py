"""``lana demo`` writes a history a person would believe: 90 days of work at working hours,
nothing in the future or piled on one moment, a minority overdue, an insight per customer."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from lana_core.app import Lana
from lana_core.domain.projects import Project, ProjectStatus
from lana_core.memory import InMemoryCache, InMemoryStore, InMemoryUnitOfWorkFactory, ManualClock
from lana_core.memory._store import TenantSpace
from lana_core.system import TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_http.cli import cli
from lana_http.cli._demo_data import DemoLoader, DemoPlan
from tests.cli.test_commands import _env
from tests.support import FAST_HASHER

CUSTOMERS = 80
# A Monday and a Sunday: the day the demo runs changes which moments are working time.
RUN_DAYS = (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC))
MAX_OVERDUE_SHARE = 0.15


async def _demo_space(now: datetime) -> TenantSpace:
    store, clock = InMemoryStore(), ManualClock(now)
    kernel = Kernel(
        uow=InMemoryUnitOfWorkFactory(store), clock=clock, ids=TimeOrderedIds(), cache=InMemoryCache()
    )
    plan = DemoPlan(seed=7, customers=CUSTOMERS, tenant="demo", password="demo password 12345")
    await DemoLoader(Lana(kernel, hasher=FAST_HASHER), clock, plan, now).load()
    (tenant,) = store.tenants.rows.values()
    return store.space(tenant.id)


@pytest.fixture(params=RUN_DAYS, ids=lambda day: day.strftime("%A"))
async def demo(request: pytest.FixtureRequest) -> tuple[datetime, TenantSpace]:
    now: datetime = request.param
    return now, await _demo_space(now)


def _at_working_hours(moment: datetime) -> bool:
    utc = moment.astimezone(UTC)
    return utc.weekday() < 5 and time(8) <= utc.time() < time(18)


async def test_interactions_spread_over_the_90_days_at_working_hours(
    demo: tuple[datetime, TenantSpace],
) -> None:
    now, space = demo
    moments = [i.occurred_at for i in space.interactions.rows.values()]
    assert len(moments) >= 2 * CUSTOMERS
    assert all(now - timedelta(days=90) <= moment < now for moment in moments)
    assert all(_at_working_hours(moment) for moment in moments)
    assert max(moments) - min(moments) >= timedelta(days=60)
    per_day = Counter(moment.date() for moment in moments)
    assert len(per_day) >= 40
    assert max(per_day.values()) <= 0.05 * len(moments)


async def test_no_record_is_dated_in_the_future_or_piled_on_the_run_moment(
    demo: tuple[datetime, TenantSpace],
) -> None:
    now, space = demo
    written: list[datetime] = []
    for table in (space.customers, space.projects, space.tasks):
        for row in table.rows.values():
            written += [row.created_at, row.updated_at]
    written += [t.completed_at for t in space.tasks.rows.values() if t.completed_at is not None]
    written += [i.created_at for i in space.interactions.rows.values()]
    entries = [entry for found in space.audit.values() for entry in found]
    written += [entry.occurred_at for entry in entries if entry.action != "insight.generated"]
    assert all(moment < now for moment in written)
    assert all(_at_working_hours(moment) for moment in written)


async def test_most_due_work_is_done_and_a_minority_is_overdue(demo: tuple[datetime, TenantSpace]) -> None:
    now, space = demo
    projects = list(space.projects.rows.values())
    open_projects = [p for p in projects if p.status is not ProjectStatus.DONE]
    overdue = [p for p in open_projects if p.is_overdue(now.date())]
    assert len(overdue) <= MAX_OVERDUE_SHARE * len(open_projects)
    assert any(p.status is ProjectStatus.DONE for p in projects)
    assert {p.status for p in open_projects} == {
        ProjectStatus.TODO,
        ProjectStatus.IN_PROGRESS,
        ProjectStatus.REVIEW,
    }
    assert _share_future_or_done(projects, now) >= 0.85
    open_tasks = [t for t in space.tasks.rows.values() if not t.completed]
    late_tasks = [t for t in open_tasks if t.due_date is not None and t.due_date < now.date()]
    assert len(late_tasks) <= MAX_OVERDUE_SHARE * len(open_tasks)


def _share_future_or_done(projects: Sequence[Project], now: datetime) -> float:
    fine = [
        p for p in projects if p.status is ProjectStatus.DONE or (p.due_date and p.due_date >= now.date())
    ]
    return len(fine) / len(projects)


async def test_every_customer_has_an_insight_made_after_its_history(
    demo: tuple[datetime, TenantSpace],
) -> None:
    now, space = demo
    customers = set(space.customers.rows)
    assessed = {customer_id for customer_id, found in space.insights.items() if found}
    assert assessed == customers
    for customer_id, found in space.insights.items():
        history = [i.occurred_at for i in space.interactions.rows.values() if i.customer_id == customer_id]
        assert all(insight.created_at == now for insight in found)
        assert all(moment < now for moment in history)


def test_the_command_writes_nothing_at_or_after_the_moment_it_ran(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    started = datetime.now(UTC)
    result = CliRunner().invoke(cli, ["demo", "--customers", "20"], env=_env(database))
    assert result.exit_code == 0, result.output
    midnight = started.replace(hour=0, minute=0, second=0, microsecond=0)
    with sqlite3.connect(database) as connection:
        stamps = [
            _utc(row[0])
            for query in (
                "SELECT occurred_at FROM interactions",
                "SELECT created_at FROM projects",
                "SELECT created_at FROM tasks",
                "SELECT created_at FROM customers",
            )
            for row in connection.execute(query)
        ]
        uncovered = connection.execute(
            "SELECT COUNT(*) FROM customers c WHERE NOT EXISTS"
            " (SELECT 1 FROM insights i WHERE i.customer_id = c.id)"
        ).fetchone()[0]
    assert stamps
    assert all(stamp < midnight for stamp in stamps)
    assert uncovered == 0
    assert "20 customers" in result.output
    assert "20 insights" in result.output


def _utc(stamp: str) -> datetime:
    parsed = datetime.fromisoformat(stamp)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
