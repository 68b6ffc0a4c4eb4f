"""A tour of Lana as a library: one process, in-memory adapters, no server.

Run it with ``uv run python docs/example.py``; the test suite runs it too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from attrs import frozen

from lana_core import Lana
from lana_core.domain.analytics import Dashboard, Metrics, Timeframe
from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.insights import Insight
from lana_core.domain.interactions import InteractionType
from lana_core.domain.pagination import PageRequest
from lana_core.domain.projects import ProjectStatus
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Role
from lana_core.usecases.analytics import IngestEvent
from lana_core.usecases.customers import ChangeCustomerStatus, CreateCustomer, CustomerView
from lana_core.usecases.insights import GenerateInsight
from lana_core.usecases.interactions import RecordInteraction
from lana_core.usecases.projects import ChangeProjectStatus, CreateProject
from lana_core.usecases.tasks import CreateTask
from lana_core.usecases.tenants import CreateTenant, CreateUser
from lana_core.usecases.timeline import TimelineEntry


@frozen
class Tour:
    """What a reader of the CRM would look at after the tour."""

    view: CustomerView
    insight: Insight
    search: list[str]
    timeline: Sequence[TimelineEntry]
    dashboard: Dashboard
    metrics: Metrics


async def tour() -> Tour:
    """Build a small CRM and return what a reader would look at."""
    lana = Lana.in_memory()

    # A tenant comes with its first admin; every call names the actor it runs as.
    _, admin = await lana.create_tenant(
        CreateTenant(
            slug="acme",
            name="Acme Ltd",
            admin_email="ada@acme.test",
            admin_name="Ada Lovelace",
            admin_password="correct horse battery staple",
        )
    )
    await lana.create_user(
        admin,
        CreateUser(email="alan@acme.test", name="Alan", role=Role.AGENT, password="another long secret"),
    )

    grace = await lana.create_customer(
        admin,
        CreateCustomer(
            name="Grace Hopper",
            email="  Grace@Navy.TEST ",
            phone="+1 (555) 010-2030",
            company="US Navy",
            value=CustomerValue.HIGH,
            tags=("Enterprise", "compilers"),
        ),
    )
    await lana.create_customer(admin, CreateCustomer(name="Edsger Dijkstra", company="THE"))
    grace = await lana.change_customer_status(
        admin, ChangeCustomerStatus(customer_id=grace.id, status=CustomerStatus.ACTIVE)
    )

    project = await lana.create_project(
        admin,
        CreateProject(customer_id=grace.id, title="COBOL migration", due_date=grace.created_at.date()),
    )
    await lana.change_project_status(
        admin, ChangeProjectStatus(project_id=project.id, status=ProjectStatus.IN_PROGRESS)
    )
    task = await lana.create_task(admin, CreateTask(project_id=project.id, title="Inventory programs"))
    await lana.complete_task(admin, task.id)
    await lana.record_interaction(
        admin,
        RecordInteraction(
            customer_id=grace.id,
            type=InteractionType.CALL,
            subject="Kick-off",
            occurred_at=grace.created_at - timedelta(days=1),
        ),
    )
    await lana.ingest_event(admin, IngestEvent(name="page_view", user_id="u-1", session_id="s-1"))

    view = await lana.get_customer(admin, grace.id)
    insight = await lana.generate_insight(admin, GenerateInsight(customer_id=grace.id))
    page = await lana.list_customers(admin, CustomerQuery(text="hopper"))
    return Tour(
        view=view,
        insight=insight,
        search=[c.name for c in page.items],
        timeline=(await lana.get_timeline(admin, grace.id, PageRequest(limit=20))).items,
        dashboard=await lana.get_dashboard(admin),
        metrics=await lana.get_metrics(admin, Timeframe.DAY),
    )


def main() -> None:
    result = asyncio.run(tour())
    customer, insight, dashboard = result.view.customer, result.insight, result.dashboard
    print(f"customer   {customer.name} <{customer.email}> {customer.phone} tags={customer.tags}")
    print(f"projects   {result.view.project_stats}")
    print(f"tasks      {result.view.task_stats}")
    print(f"insight    score={insight.health_score} risk={insight.churn_risk} source={insight.source}")
    print(f"           {insight.summary}")
    print(f"search     'hopper' → {result.search}")
    print(f"timeline   {len(result.timeline)} entries, newest: {result.timeline[0].summary}")
    print(
        f"dashboard  customers={dashboard.total_customers} by status={dict(dashboard.customers_by_status)} "
        f"conversion={dashboard.conversion_rate}"
    )
    print(f"metrics    {result.metrics.total_events} events, top: {result.metrics.top_events[0]}")


if __name__ == "__main__":
    main()
