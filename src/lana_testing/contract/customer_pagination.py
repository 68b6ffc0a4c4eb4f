"""Customer lists: every filter, sort and order, walked page by page, returns each match once, in order."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import uuid4

import attrs
import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from lana_core.domain.customers import Customer
from lana_core.domain.pagination import Page, PageRequest, SortOrder
from lana_core.domain.queries import RELEVANCE, Archived, CustomerQuery, CustomerSort
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import ValidationError
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import (
    ArchiveCustomerHandler,
    CreateCustomer,
    CreateCustomerHandler,
    ListCustomersHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)
from lana_testing import strategies
from lana_testing.contract.adapter_sets import Adapters
from lana_testing.contract.fixtures import adapters, clock
from lana_testing.support import make_tenant, make_user

_SORT_KEYS: dict[CustomerSort, Callable[[Customer], Any]] = {
    CustomerSort.CREATED_AT: lambda c: c.created_at,
    CustomerSort.UPDATED_AT: lambda c: c.updated_at,
    CustomerSort.NAME: lambda c: c.name,
}

_slugs = itertools.count()


def expected(customers: list[Customer], query: CustomerQuery) -> list[Customer]:
    """The specification of a customer list, written as plainly as possible."""

    def keep(c: Customer) -> bool:
        archived_ok = {
            Archived.INCLUDE: True,
            Archived.EXCLUDE: c.archived_at is None,
            Archived.ONLY: c.archived_at is not None,
        }[query.archived]
        text = query.text.lower() if query.text else None
        fields = [f.lower() for f in (c.name, c.email, c.company) if f is not None]
        return (
            archived_ok
            and query.status in (None, c.status)
            and query.value in (None, c.value)
            and (query.tag is None or query.tag in c.tags)
            and query.owner_id in (None, c.owner_id)
            and (text is None or any(text in f for f in fields))
            and (query.created_after is None or c.created_at >= query.created_after)
            and (query.created_before is None or c.created_at < query.created_before)
        )

    key = _SORT_KEYS[query.sort]
    return sorted(
        filter(keep, customers), key=lambda c: (key(c), c.id), reverse=query.order == SortOrder.DESC
    )


@attrs.frozen
class Row:
    """One customer of a data set: how to create it, when, who owns it, and what happens to it later."""

    command: CreateCustomer
    step: timedelta
    owner: int
    new_name: str | None
    archived: bool


@st.composite
def data_sets(draw: st.DrawFn) -> list[Row]:
    commands = draw(st.lists(strategies.create_customer_commands(), max_size=12))
    seen: set[str | None] = {None}
    rows = []
    for command in commands:
        email = command.email if command.email not in seen else None
        seen.add(email)
        rows.append(
            Row(
                command=attrs.evolve(command, email=email),
                step=draw(strategies.clock_steps()),
                owner=draw(st.integers(0, 2)),
                new_name=draw(st.none() | strategies.names),
                archived=draw(st.booleans()),
            )
        )
    return rows


async def _populate(
    kernel: Kernel, clock: ManualClock, admin: Actor, owners: list[Any], rows: list[Row]
) -> list[Customer]:
    create, rename = CreateCustomerHandler(kernel), UpdateCustomerHandler(kernel)
    made = []
    for row in rows:
        clock.advance(row.step)
        made.append(await create(admin, attrs.evolve(row.command, owner_id=owners[row.owner])))
    for index, row in enumerate(rows):
        clock.advance(row.step)
        if row.new_name is not None:
            made[index] = await rename(admin, UpdateCustomer(customer_id=made[index].id, name=row.new_name))
        if row.archived:
            made[index] = await ArchiveCustomerHandler(kernel)(admin, made[index].id)
    return made


def _texts(customers: list[Customer]) -> st.SearchStrategy[str]:
    """Pieces of the customers' names, emails and companies in any case, and text that matches nothing."""
    sources = [f for c in customers for f in (c.name, c.email, c.company) if f]

    @st.composite
    def piece(draw: st.DrawFn) -> str:
        source = draw(st.sampled_from(sources))
        start = draw(st.integers(0, len(source) - 1))
        end = draw(st.integers(start + 1, len(source)))
        return "".join(ch.swapcase() if draw(st.booleans()) else ch for ch in source[start:end])

    anything = st.text(strategies.NAME_ALPHABET, min_size=1, max_size=4)
    return piece() | anything if sources else anything


async def _queried(
    adapters: Adapters, purpose: str, rows: list[Row], pick: st.DataObject
) -> tuple[Actor, list[Customer], CustomerQuery]:
    """A new tenant's admin, the customers made of ``rows`` (owned by nobody, the admin or an
    agent), and a query drawn to match some of them."""
    kernel, clock = adapters.kernel, adapters.clock
    admin = await make_tenant(kernel, f"{purpose}-{next(_slugs)}-{uuid4().hex[:6]}")
    agent = await make_user(kernel, admin, Role.AGENT)
    start = clock.now()
    made = await _populate(kernel, clock, admin, [None, admin.user_id, agent.user_id], rows)
    query = pick.draw(
        strategies.customer_queries(
            texts=_texts(made),
            tag_pool=st.sampled_from([t for c in made for t in c.tags] or ["none"]) | strategies.tags,
            owners=st.sampled_from([admin.user_id, agent.user_id]),
            start=start - timedelta(minutes=30),
            span=clock.now() - start + timedelta(hours=1),
        )
    )
    return admin, made, query


async def _walk(
    list_customers: ListCustomersHandler, actor: Actor, query: CustomerQuery
) -> list[Page[Customer]]:
    pages = [await list_customers(actor, query)]
    while (cursor := pages[-1].next_cursor) is not None:
        page = PageRequest.of(query.page.limit, cursor)
        pages.append(await list_customers(actor, attrs.evolve(query, page=page)))
    return pages


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=data_sets(), pick=st.data())
async def test_walking_the_pages_returns_every_matching_customer_once_in_order(
    adapters: Adapters, rows: list[Row], pick: st.DataObject
) -> None:
    admin, made, query = await _queried(adapters, "pages", rows, pick)

    pages = await _walk(ListCustomersHandler(adapters.kernel), admin, query)

    listed = [c for page in pages for c in page.items]
    target(float(len(pages)), label="pages walked")
    assert listed == expected(made, query)
    assert all(len(page.items) == query.page.limit for page in pages[:-1])
    assert len(pages) == 1 or pages[-1].items, "a last page is never empty unless it is the only one"


async def test_a_cursor_from_another_sort_is_refused_not_misread(adapters: Adapters) -> None:
    kernel = adapters.kernel
    admin = await make_tenant(kernel)
    create = CreateCustomerHandler(kernel)
    for name in ("Ada", "Grace"):
        await create(admin, CreateCustomer(name=name))
    by_name = CustomerQuery(sort=CustomerSort.NAME, page=PageRequest(limit=1))
    cursor = (await ListCustomersHandler(kernel)(admin, by_name)).next_cursor
    assert cursor is not None

    by_date = CustomerQuery(sort=CustomerSort.CREATED_AT, page=PageRequest.of(1, cursor))
    with pytest.raises(ValidationError):
        await ListCustomersHandler(kernel)(admin, by_date)


@pytest.mark.parametrize("order", list(SortOrder))
@pytest.mark.parametrize("sort", list(CustomerSort))
async def test_rows_tied_on_the_sort_key_page_by_id_without_loss(
    adapters: Adapters, sort: CustomerSort, order: SortOrder
) -> None:
    kernel = adapters.kernel
    admin = await make_tenant(kernel)
    create = CreateCustomerHandler(kernel)
    made = [await create(admin, CreateCustomer(name="Same Name")) for _ in range(7)]
    for limit in (1, 2, 3, 7):
        query = CustomerQuery(sort=sort, order=order, page=PageRequest(limit=limit))

        pages = await _walk(ListCustomersHandler(kernel), admin, query)

        assert [c.id for p in pages for c in p.items] == [c.id for c in expected(made, query)]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=st.lists(st.tuples(strategies.names, strategies.companies), min_size=1, max_size=6), pick=st.data()
)
async def test_text_search_finds_every_customer_containing_the_text_in_any_case(
    adapters: Adapters, people: list[tuple[str, str | None]], pick: st.DataObject
) -> None:
    kernel = adapters.kernel
    admin = await make_tenant(kernel, f"text-{next(_slugs)}-{uuid4().hex[:6]}")
    create = CreateCustomerHandler(kernel)
    made = [await create(admin, CreateCustomer(name=name, company=company)) for name, company in people]
    query = CustomerQuery(text=pick.draw(_texts(made)), page=PageRequest(limit=200))

    found = (await ListCustomersHandler(kernel)(admin, query)).items

    assert sorted(c.id for c in found) == sorted(c.id for c in expected(made, query))


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=data_sets(), pick=st.data())
async def test_the_total_of_a_query_is_how_many_customers_of_the_tenant_its_pages_hold(
    adapters: Adapters, rows: list[Row], pick: st.DataObject
) -> None:
    admin, made, query = await _queried(adapters, "total", rows, pick)
    list_customers = ListCustomersHandler(adapters.kernel)

    counted = await list_customers(admin, query, with_total=True)
    plain = await list_customers(admin, query)

    assert counted.total == len(expected(made, query))
    assert (counted.items, counted.next_cursor) == (plain.items, plain.next_cursor)
    assert plain.total is None


@pytest.mark.parametrize("limit", [1, 2, 10])
async def test_relevance_lists_the_name_being_the_text_then_starting_with_it_then_holding_it(
    adapters: Adapters, limit: int
) -> None:
    kernel = adapters.kernel
    admin = await make_tenant(kernel)
    create = CreateCustomerHandler(kernel)
    for name, company in [
        ("Zora Quill", "Quokka Acme"),
        ("Acmeworks Hall", None),
        ("Unrelated Person", "Elsewhere"),
        ("ACME", None),
    ]:
        await create(admin, CreateCustomer(name=name, company=company))
    query = CustomerQuery(text="acme", sort=RELEVANCE, page=PageRequest(limit=limit))

    best_first = await _walk(ListCustomersHandler(kernel), admin, query)
    worst_first = await _walk(ListCustomersHandler(kernel), admin, attrs.evolve(query, order=SortOrder.ASC))

    names = [c.name for page in best_first for c in page.items]
    assert names == ["ACME", "Acmeworks Hall", "Zora Quill"]
    assert [c.name for page in worst_first for c in page.items] == names[::-1]


async def test_relevance_without_a_text_lists_the_newest_first(adapters: Adapters) -> None:
    kernel, clock = adapters.kernel, adapters.clock
    admin = await make_tenant(kernel)
    create = CreateCustomerHandler(kernel)
    for name in ("Ada", "Grace", "Edsger"):
        clock.advance(timedelta(minutes=1))
        await create(admin, CreateCustomer(name=name))

    page = await ListCustomersHandler(kernel)(admin, CustomerQuery(sort=RELEVANCE))

    assert [c.name for c in page.items] == ["Edsger", "Grace", "Ada"]


__all__ = [
    "adapters",
    "clock",
    "test_walking_the_pages_returns_every_matching_customer_once_in_order",
    "test_a_cursor_from_another_sort_is_refused_not_misread",
    "test_rows_tied_on_the_sort_key_page_by_id_without_loss",
    "test_text_search_finds_every_customer_containing_the_text_in_any_case",
    "test_the_total_of_a_query_is_how_many_customers_of_the_tenant_its_pages_hold",
    "test_relevance_lists_the_name_being_the_text_then_starting_with_it_then_holding_it",
    "test_relevance_without_a_text_lists_the_newest_first",
]
