"""Duplicate detection and merges hold alike on every store: the same pairs and reasons, and
a merge that loses no record and changes no count but the customers'."""

from __future__ import annotations

import itertools
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lana_core.domain.duplicates import DuplicateReason, names_similar, normalised_name
from lana_core.domain.interactions import InteractionType
from lana_core.domain.pagination import MAX_LIMIT, PageRequest
from lana_core.domain.queries import ProjectQuery, TaskQuery
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import Conflict, Gone, PermissionDenied, ValidationError
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customer_merge import (
    FindDuplicateCustomersHandler,
    MergeCustomers,
    MergeCustomersHandler,
)
from lana_core.usecases.customers import (
    ArchiveCustomerHandler,
    CreateCustomer,
    CreateCustomerHandler,
    GetCustomerHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)
from lana_core.usecases.dashboard import GetDashboardHandler
from lana_core.usecases.interactions import RecordInteraction, RecordInteractionHandler
from lana_core.usecases.projects import CreateProject, CreateProjectHandler
from lana_core.usecases.tasks import CreateTask, CreateTaskHandler
from lana_testing.contract import builders
from lana_testing.contract.adapter_sets import Adapters
from lana_testing.contract.fixtures import adapters, admin, clock, kernel
from lana_testing.support import make_tenant, make_user

_slugs = itertools.count()
_ALL = PageRequest(limit=MAX_LIMIT)


async def _customer(kernel: Kernel, actor: Actor, **fields: object) -> UUID:
    made = await CreateCustomerHandler(kernel)(actor, CreateCustomer(**fields))  # type: ignore[arg-type]
    return made.id


async def _pairs(kernel: Kernel, actor: Actor) -> dict[frozenset[UUID], tuple[DuplicateReason, ...]]:
    page = await FindDuplicateCustomersHandler(kernel)(actor, _ALL)
    return {frozenset({p.first_id, p.second_id}): p.reasons for p in page.items}


async def test_exact_matches_name_their_reasons_on_every_store(kernel: Kernel, admin: Actor) -> None:
    ada = await _customer(kernel, admin, name="Ada", email="ada@example.com", phone="+44 20 7946 0000")
    tagged = await _customer(kernel, admin, name="Lovelace", email="ADA+news@example.com")
    phone = await _customer(kernel, admin, name="Someone", phone="(44) 20-7946-0000")
    await _customer(kernel, admin, name="Grace", email="grace@example.com", phone="+1 555 0100")

    pairs = await _pairs(kernel, admin)

    assert pairs == {
        frozenset({ada, tagged}): (DuplicateReason.SAME_EMAIL,),
        frozenset({ada, phone}): (DuplicateReason.SAME_PHONE,),
    }


async def test_archived_customers_are_never_candidates(kernel: Kernel, admin: Actor) -> None:
    first = await _customer(kernel, admin, name="Ada", phone="+1 555 0100")
    await _customer(kernel, admin, name="Ada", phone="+1 555 0100")
    await ArchiveCustomerHandler(kernel)(admin, first, 1)

    assert await _pairs(kernel, admin) == {}


async def test_only_managers_and_admins_find_duplicates(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)

    with pytest.raises(PermissionDenied):
        await FindDuplicateCustomersHandler(kernel)(agent, _ALL)


async def test_every_change_to_customers_shows_in_the_next_scan(kernel: Kernel, admin: Actor) -> None:
    # The pairs are kept between the pages of a scan; a change must never leave them stale.
    ada = await _customer(kernel, admin, name="Ada", phone="+1 555 0100")
    grace = await _customer(kernel, admin, name="Grace", phone="+1 555 0100")
    assert await _pairs(kernel, admin) == {frozenset({ada, grace}): (DuplicateReason.SAME_PHONE,)}

    alan = await _customer(kernel, admin, name="Alan", email="alan@example.com", phone="+1 555 0100")
    assert set(await _pairs(kernel, admin)) == {
        frozenset({ada, grace}),
        frozenset({ada, alan}),
        frozenset({grace, alan}),
    }

    await UpdateCustomerHandler(kernel)(admin, UpdateCustomer(customer_id=grace, phone="+1 555 0199"))
    assert set(await _pairs(kernel, admin)) == {frozenset({ada, alan})}

    await ArchiveCustomerHandler(kernel)(admin, alan, 1)
    assert await _pairs(kernel, admin) == {}

    await UpdateCustomerHandler(kernel)(admin, UpdateCustomer(customer_id=grace, phone="+1 555 0100"))
    await MergeCustomersHandler(kernel)(admin, MergeCustomers(customer_id=ada, merge_ids=[grace]))
    assert await _pairs(kernel, admin) == {}


async def test_later_pages_continue_the_scan_of_the_first(kernel: Kernel, admin: Actor) -> None:
    ids = [await _customer(kernel, admin, name=f"Person {n}", phone="+1 555 0100") for n in range(6)]
    find = FindDuplicateCustomersHandler(kernel)
    seen: list[frozenset[UUID]] = []
    cursor: str | None = None
    while True:
        page = await find(admin, PageRequest.of(4, cursor))
        seen.extend(frozenset({p.first_id, p.second_id}) for p in page.items)
        if (cursor := page.next_cursor) is None:
            break

    assert len(seen) == 15
    assert set(seen) == {frozenset(pair) for pair in itertools.combinations(ids, 2)}


_names = st.text(alphabet="abcdeo ", min_size=3, max_size=9).filter(lambda n: n.strip() != "")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=_names, second=_names)
async def test_similar_names_at_one_company_pair_up_exactly_above_the_threshold(
    adapters: Adapters, first: str, second: str
) -> None:
    kernel = adapters.kernel
    admin = await make_tenant(kernel, f"names-{next(_slugs)}-{uuid4().hex[:6]}")
    one = await _customer(kernel, admin, name=first, company="Acme")
    other = await _customer(kernel, admin, name=second, company="ACME")

    pairs = await _pairs(kernel, admin)

    # The ratio compares the name of the lower id first (it can differ the other way round).
    (_, a), (_, b) = sorted([(one, normalised_name(first)), (other, normalised_name(second))])
    expected = names_similar(a, b) and a[:3] == b[:3]
    assert (frozenset({one, other}) in pairs) is expected


async def test_a_merge_leaves_a_tombstone_and_refuses_to_touch_it(kernel: Kernel, admin: Actor) -> None:
    kept = await _customer(kernel, admin, name="Ada")
    other = await _customer(kernel, admin, name="Ada L.")

    await MergeCustomersHandler(kernel)(admin, MergeCustomers(customer_id=kept, merge_ids=[other]))

    with pytest.raises(Gone) as gone:
        await GetCustomerHandler(kernel)(admin, other)
    assert gone.value.merged_into == kept
    with pytest.raises(Conflict):
        await MergeCustomersHandler(kernel)(admin, MergeCustomers(customer_id=other, merge_ids=[kept]))


async def test_a_refused_merge_writes_nothing(kernel: Kernel, admin: Actor) -> None:
    kept = await _customer(kernel, admin, name="Ada", tags=tuple(f"k{n}" for n in range(15)))
    other = await _customer(kernel, admin, name="Ada L.", tags=tuple(f"o{n}" for n in range(15)))
    project = await CreateProjectHandler(kernel)(admin, CreateProject(customer_id=other, title="Plan"))

    with pytest.raises(ValidationError):
        await MergeCustomersHandler(kernel)(admin, MergeCustomers(customer_id=kept, merge_ids=[other]))

    async with kernel.uow(admin.tenant_id) as uow:
        stored = await uow.projects.get(project.id)
        merged = await uow.customers.get(other)
    assert stored == project
    assert merged is not None
    assert merged.merged_into is None


_layouts = st.lists(
    st.tuples(
        st.integers(0, 2),  # projects
        st.integers(0, 2),  # tasks per project
        st.integers(0, 2),  # interactions
        st.integers(0, 1),  # insights
    ),
    min_size=2,
    max_size=4,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=_layouts, data=st.data())
async def test_a_merge_keeps_every_record_under_exactly_one_customer_and_every_other_count(
    adapters: Adapters, clock: ManualClock, layout: list[tuple[int, int, int, int]], data: st.DataObject
) -> None:
    kernel = adapters.kernel
    admin = await make_tenant(kernel, f"merge-{next(_slugs)}-{uuid4().hex[:6]}")
    customers = [await _populated(kernel, admin, clock, n, shape) for n, shape in enumerate(layout)]
    kept = data.draw(st.sampled_from(customers))
    others = [c for c in customers if c != kept]
    merged = data.draw(st.lists(st.sampled_from(others), min_size=1, unique=True))
    before = await _records(kernel, admin, customers)
    board = await GetDashboardHandler(kernel)(admin)

    await MergeCustomersHandler(kernel)(admin, MergeCustomers(customer_id=kept, merge_ids=merged))

    after = await _records(kernel, admin, customers)
    assert after[kept] == before[kept].union(*(before[c] for c in merged))
    for customer in customers:
        if customer in merged:
            assert after[customer] == set()
        elif customer != kept:
            assert after[customer] == before[customer]
    held = [record for c in customers for record in after[c]]
    assert sorted(held) == sorted(record for c in customers for record in before[c])
    now = await GetDashboardHandler(kernel)(admin)
    assert now.total_customers == board.total_customers - len(merged)
    assert (now.total_projects, now.projects_by_status, now.active_projects, now.overdue_projects) == (
        board.total_projects,
        board.projects_by_status,
        board.active_projects,
        board.overdue_projects,
    )


async def _populated(
    kernel: Kernel, admin: Actor, clock: ManualClock, n: int, shape: tuple[int, int, int, int]
) -> UUID:
    projects, tasks, interactions, insights = shape
    customer = await _customer(kernel, admin, name=f"Customer {n}", tags=(f"t{n}",))
    for p in range(projects):
        project = await CreateProjectHandler(kernel)(
            admin, CreateProject(customer_id=customer, title=f"P{p}")
        )
        for t in range(tasks):
            await CreateTaskHandler(kernel)(admin, CreateTask(project_id=project.id, title=f"T{t}"))
    for i in range(interactions):
        command = RecordInteraction(customer_id=customer, type=InteractionType.NOTE, subject=f"I{i}")
        await RecordInteractionHandler(kernel)(admin, command)
    for _ in range(insights):
        async with kernel.uow(admin.tenant_id) as uow:
            await uow.insights.add(builders.insight(admin.tenant_id, customer, clock.now()))
            await uow.commit()
    return customer


async def _records(kernel: Kernel, admin: Actor, customers: list[UUID]) -> dict[UUID, set[tuple[str, UUID]]]:
    """Each customer's projects, tasks, interactions and insights, checking that each task
    belongs to the customer of its project."""
    found: dict[UUID, set[tuple[str, UUID]]] = {}
    async with kernel.uow(admin.tenant_id) as uow:
        for customer in customers:
            projects = (await uow.projects.list(ProjectQuery(customer_id=customer, page=_ALL))).items
            records = {("project", p.id) for p in projects}
            for project in projects:
                tasks = (await uow.tasks.list(TaskQuery(project_id=project.id, page=_ALL))).items
                assert all(task.customer_id == customer for task in tasks)
                records |= {("task", t.id) for t in tasks}
            interactions = await uow.interactions.list_for_customer(customer, _ALL)
            records |= {("interaction", i.id) for i in interactions.items}
            insights = await uow.insights.list_for_customer(customer, _ALL)
            records |= {("insight", i.id) for i in insights.items}
            found[customer] = records
    return found


async def test_agents_merge_only_customers_they_own_and_viewers_none(kernel: Kernel, admin: Actor) -> None:
    agent = await make_user(kernel, admin, Role.AGENT)
    viewer = await make_user(kernel, admin, Role.VIEWER)
    mine = await _customer(kernel, agent, name="Ada")
    also_mine = await _customer(kernel, agent, name="Ada L.")
    theirs = await _customer(kernel, admin, name="Ada Lovelace")
    merge = MergeCustomersHandler(kernel)

    with pytest.raises(PermissionDenied):
        await merge(agent, MergeCustomers(customer_id=mine, merge_ids=[theirs]))
    with pytest.raises(PermissionDenied):
        await merge(viewer, MergeCustomers(customer_id=theirs, merge_ids=[mine]))
    kept = await merge(agent, MergeCustomers(customer_id=mine, merge_ids=[also_mine]))

    assert kept.id == mine


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "test_exact_matches_name_their_reasons_on_every_store",
    "test_archived_customers_are_never_candidates",
    "test_only_managers_and_admins_find_duplicates",
    "test_every_change_to_customers_shows_in_the_next_scan",
    "test_later_pages_continue_the_scan_of_the_first",
    "test_similar_names_at_one_company_pair_up_exactly_above_the_threshold",
    "test_a_merge_leaves_a_tombstone_and_refuses_to_touch_it",
    "test_a_refused_merge_writes_nothing",
    "test_a_merge_keeps_every_record_under_exactly_one_customer_and_every_other_count",
    "test_agents_merge_only_customers_they_own_and_viewers_none",
]
