"""The dashboard: its figures on a hand-made tenant, and that writes make the next read fresh."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lana_core.domain.customers import Customer, CustomerStatus, CustomerValue
from lana_core.domain.projects import ProjectStatus
from lana_core.domain.tenancy import Actor, Role
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import (
    ArchiveCustomerHandler,
    ChangeCustomerStatus,
    ChangeCustomerStatusHandler,
    CreateCustomer,
    CreateCustomerHandler,
)
from lana_core.usecases.dashboard import GetDashboardHandler
from lana_core.usecases.projects import (
    ChangeProjectStatus,
    ChangeProjectStatusHandler,
    CreateProject,
    CreateProjectHandler,
)
from tests.support import make_tenant, make_user

READ_AT = datetime(2026, 1, 10, 12, tzinfo=UTC)


async def customer(
    kernel: Kernel, actor: Actor, name: str, value: CustomerValue, status: CustomerStatus
) -> Customer:
    return await CreateCustomerHandler(kernel)(actor, CreateCustomer(name=name, value=value, status=status))


async def project(
    kernel: Kernel, actor: Actor, owner: Customer, *moves: ProjectStatus, due: date | None = None
) -> None:
    created = await CreateProjectHandler(kernel)(
        actor, CreateProject(customer_id=owner.id, title="Work", due_date=due)
    )
    for status in moves:
        await ChangeProjectStatusHandler(kernel)(
            actor, ChangeProjectStatus(project_id=created.id, status=status)
        )


@pytest.fixture
async def tenant(kernel: Kernel, clock: ManualClock, admin: Actor) -> Actor:
    """Customers created on Jan 1, 3 and 5 (one archived since); three projects, one overdue."""
    first = await customer(kernel, admin, "C1", CustomerValue.HIGH, CustomerStatus.ACTIVE)
    await customer(kernel, admin, "C2", CustomerValue.MEDIUM, CustomerStatus.PROSPECT)
    clock.set(datetime(2026, 1, 3, 9, tzinfo=UTC))
    await customer(kernel, admin, "C3", CustomerValue.LOW, CustomerStatus.INACTIVE)
    won = await customer(kernel, admin, "C4", CustomerValue.HIGH, CustomerStatus.PROSPECT)
    await ChangeCustomerStatusHandler(kernel)(
        admin, ChangeCustomerStatus(customer_id=won.id, status=CustomerStatus.ACTIVE)
    )
    clock.set(datetime(2026, 1, 5, 9, tzinfo=UTC))
    gone = await customer(kernel, admin, "C5", CustomerValue.MEDIUM, CustomerStatus.PROSPECT)
    await ArchiveCustomerHandler(kernel)(admin, gone.id)
    await project(kernel, admin, first, due=date(2026, 1, 2))
    await project(kernel, admin, first, ProjectStatus.IN_PROGRESS)
    done = (ProjectStatus.IN_PROGRESS, ProjectStatus.REVIEW, ProjectStatus.DONE)
    await project(kernel, admin, won, *done, due=date(2026, 1, 2))
    clock.set(READ_AT)
    return admin


def non_zero(counts: object) -> dict[str, int]:
    assert isinstance(counts, dict)
    return {key: value for key, value in counts.items() if value}


async def test_the_dashboard_counts_live_customers_and_projects(kernel: Kernel, tenant: Actor) -> None:
    board = await GetDashboardHandler(kernel)(tenant)
    assert board.total_customers == 4
    assert non_zero(dict(board.customers_by_status)) == {"active": 2, "prospect": 1, "inactive": 1}
    assert non_zero(dict(board.customers_by_value)) == {"high": 2, "medium": 1, "low": 1}
    assert board.high_value_customers == 2
    assert board.total_projects == 3
    assert non_zero(dict(board.projects_by_status)) == {"todo": 1, "in_progress": 1, "done": 1}
    assert (board.active_projects, board.overdue_projects) == (1, 1)
    assert board.conversion_rate == pytest.approx(2 / 3, abs=1e-4)
    assert board.generated_at == READ_AT


async def test_new_customers_are_counted_for_each_of_the_last_30_days(kernel: Kernel, tenant: Actor) -> None:
    per_day = (await GetDashboardHandler(kernel)(tenant)).new_customers_per_day
    assert len(per_day) == 30
    assert (per_day[0].day, per_day[-1].day) == (date(2025, 12, 12), date(2026, 1, 10))
    assert {d.day: d.count for d in per_day if d.count} == {date(2026, 1, 1): 2, date(2026, 1, 3): 2}


async def test_the_dashboard_is_cached_until_a_customer_or_project_changes(
    kernel: Kernel, clock: ManualClock, tenant: Actor
) -> None:
    dashboard = GetDashboardHandler(kernel)
    first = await dashboard(tenant)
    clock.advance(timedelta(seconds=5))
    assert (await dashboard(tenant)).generated_at == first.generated_at
    newest = await customer(kernel, tenant, "C6", CustomerValue.HIGH, CustomerStatus.PROSPECT)
    after_customer = await dashboard(tenant)
    assert (after_customer.total_customers, after_customer.high_value_customers) == (5, 3)
    assert after_customer.conversion_rate == pytest.approx(0.5)
    assert (await dashboard(tenant)).generated_at == after_customer.generated_at
    await project(kernel, tenant, newest, ProjectStatus.IN_PROGRESS)
    after_project = await dashboard(tenant)
    assert (after_project.total_projects, after_project.active_projects) == (4, 2)


async def test_each_tenant_sees_only_its_own_dashboard(kernel: Kernel, tenant: Actor) -> None:
    other = await make_tenant(kernel, "globex")
    board = await GetDashboardHandler(kernel)(other)
    assert (board.total_customers, board.total_projects) == (0, 0)
    assert board.conversion_rate == 0.0
    assert (await GetDashboardHandler(kernel)(tenant)).total_customers == 4


async def test_any_role_may_read_the_dashboard(kernel: Kernel, tenant: Actor) -> None:
    viewer = await make_user(kernel, tenant, Role.VIEWER)
    assert (await GetDashboardHandler(kernel)(viewer)).total_customers == 4
