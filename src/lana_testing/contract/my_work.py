"""My work: a user's open tasks, soonest due first, on every adapter set."""

from __future__ import annotations

from datetime import timedelta

from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from lana_core.usecases.my_work import ListMyWorkHandler
from lana_core.usecases.projects import ArchiveProjectHandler, CreateProject, CreateProjectHandler
from lana_core.usecases.tasks import CompleteTaskHandler, CreateTask, CreateTaskHandler
from lana_core.usecases.tenants import ChangeTenantSettings, ChangeTenantSettingsHandler
from lana_testing.contract.fixtures import adapters, admin, clock, kernel
from lana_testing.support import make_user


async def test_my_work_lists_my_open_tasks_overdue_first_and_undated_last(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    customer = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Initech"))
    project = await CreateProjectHandler(kernel)(
        admin, CreateProject(customer_id=customer.id, title="Rollout")
    )
    archived = await CreateProjectHandler(kernel)(admin, CreateProject(customer_id=customer.id, title="Old"))
    add = CreateTaskHandler(kernel)
    today = clock.now().date()

    async def task(title: str, days: int | None, assignee: Actor = agent, on: object = project) -> object:
        due = None if days is None else today + timedelta(days=days)
        command = CreateTask(project_id=on.id, title=title, assignee_id=assignee.user_id, due_date=due)  # type: ignore[attr-defined]
        made = await add(admin, command)
        clock.advance(timedelta(seconds=1))
        return made

    await task("undated", None)
    await task("next week", 7)
    await task("overdue", -2)
    await task("today", 0)
    await task("undated later", None)
    done = await task("done", -5)
    await CompleteTaskHandler(kernel)(admin, done.id)  # type: ignore[attr-defined]
    await task("someone else's", -9, assignee=admin)
    await task("archived project", -9, on=archived)
    await ArchiveProjectHandler(kernel)(admin, archived.id)

    work = await ListMyWorkHandler(kernel)(agent)

    assert [item.task.title for item in work.items] == [
        "overdue",
        "today",
        "next week",
        "undated",
        "undated later",
    ]
    assert [item.overdue for item in work.items] == [True, False, False, False, False]
    assert work.overdue == 1
    assert work.items[0].project.title == "Rollout"
    assert work.items[0].customer.name == "Initech"
    limited = await ListMyWorkHandler(kernel)(agent, limit=2)
    assert [item.task.title for item in limited.items] == ["overdue", "today"]


async def test_my_work_hides_tasks_of_customers_hidden_from_an_agent(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    theirs = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Not the agent's"))
    project = await CreateProjectHandler(kernel)(admin, CreateProject(customer_id=theirs.id, title="Work"))
    await CreateTaskHandler(kernel)(
        admin, CreateTask(project_id=project.id, title="Hidden", assignee_id=agent.user_id)
    )
    assert len((await ListMyWorkHandler(kernel)(agent)).items) == 1

    restricted = TenantSettings(agents_see_only_own_customers=True)
    await ChangeTenantSettingsHandler(kernel)(admin, ChangeTenantSettings(settings=restricted))

    assert (await ListMyWorkHandler(kernel)(agent)).items == ()


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "test_my_work_lists_my_open_tasks_overdue_first_and_undated_last",
    "test_my_work_hides_tasks_of_customers_hidden_from_an_agent",
]
