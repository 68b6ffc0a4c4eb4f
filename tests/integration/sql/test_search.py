"""Customer text search: exact substring matching everywhere, ranked and typo-tolerant on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql import RELEVANCE, search
from lana_core.domain.customers import Customer
from lana_core.domain.pagination import PageRequest
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import (
    CreateCustomer,
    CreateCustomerHandler,
    ListCustomersHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)
from tests.integration.sql.databases import kernel_on
from tests.support import make_tenant

PEOPLE = (
    CreateCustomer(name="Émile Zola", email="emile@paris.example.com", company="Les Éditions"),
    CreateCustomer(name="100% Pure_Honey", company="Bees & Co"),
    CreateCustomer(name="Grace Hopper", email="grace@navy.mil", company="US Navy"),
    CreateCustomer(name="Ada Lovelace", company="Analytical Engines Ltd"),
    CreateCustomer(name="Initech Buyer", company="Initech Corporation"),
)


@pytest.fixture(params=[1_000, 1], ids=["few-matches-joined", "common-text-walked"])
def probe_cap(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL a text found in at least this many customers is tested row by row along
    the list's index instead of joined by id; both ways must find the same customers."""
    monkeypatch.setattr(search, "RANKED_CANDIDATES", request.param)


async def _people(kernel: Kernel, admin: Actor) -> dict[str, Customer]:
    create = CreateCustomerHandler(kernel)
    return {command.name: await create(admin, command) for command in PEOPLE}


async def _names(kernel: Kernel, admin: Actor, text: str, **query: object) -> list[str]:
    page = await ListCustomersHandler(kernel)(
        admin,
        CustomerQuery(text=text, page=PageRequest(limit=200), **query),  # type: ignore[arg-type]
    )
    return [customer.name for customer in page.items]


async def _total(kernel: Kernel, admin: Actor, text: str, **query: object) -> int | None:
    page = await ListCustomersHandler(kernel)(
        admin,
        CustomerQuery(text=text, page=PageRequest(limit=1), **query),  # type: ignore[arg-type]
        with_total=True,
    )
    return page.total


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ÉMILE", {"Émile Zola"}),  # accents fold to lower case like the core's str.lower
        ("% p", {"100% Pure_Honey"}),  # LIKE's wildcards are plain characters
        ("e_h", {"100% Pure_Honey"}),
        ("NAVY", {"Grace Hopper"}),  # in the email and the company
        ("ace", {"Grace Hopper", "Ada Lovelace"}),
        ("zz", set()),
        ("a", {"Grace Hopper", "Ada Lovelace", "Émile Zola", "Initech Buyer"}),
        ("ltd", {"Ada Lovelace"}),
    ],
)
@pytest.mark.usefixtures("probe_cap")
async def test_text_finds_exactly_the_customers_containing_it_in_any_case(
    kernel: Kernel, admin: Actor, text: str, expected: set[str]
) -> None:
    await _people(kernel, admin)

    assert set(await _names(kernel, admin, text)) == expected
    assert await _total(kernel, admin, text) == len(expected)


async def test_a_renamed_customer_is_found_by_its_new_name_only(kernel: Kernel, admin: Actor) -> None:
    people = await _people(kernel, admin)
    await UpdateCustomerHandler(kernel)(
        admin, UpdateCustomer(customer_id=people["Ada Lovelace"].id, name="Augusta King")
    )

    assert await _names(kernel, admin, "augusta") == ["Augusta King"]
    assert await _names(kernel, admin, "lovelace") == []


async def test_relevance_pages_return_every_match_once_best_first(kernel: Kernel, admin: Actor) -> None:
    create = CreateCustomerHandler(kernel)
    for index in range(7):
        await create(admin, CreateCustomer(name=f"Acme buyer {index}", company="Acme" if index % 2 else None))
    await create(admin, CreateCustomer(name="Acme"))

    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await ListCustomersHandler(kernel)(
            admin,
            CustomerQuery(text="acme", sort=RELEVANCE, page=PageRequest.of(3, cursor)),  # type: ignore[arg-type]
        )
        seen.extend(customer.name for customer in page.items)
        if (cursor := page.next_cursor) is None:
            break

    assert sorted(seen) == sorted(["Acme", *(f"Acme buyer {index}" for index in range(7))])
    assert seen[0] == "Acme"  # the name that is the needle itself ranks first


@pytest.mark.postgres
async def test_a_misspelt_company_still_finds_the_customer_ranked_after_exact_matches(
    pg_kernel: Kernel, pg_admin: Actor
) -> None:
    await _people(pg_kernel, pg_admin)
    await CreateCustomerHandler(pg_kernel)(pg_admin, CreateCustomer(name="Initech Corporaton"))

    ranked = await _names(pg_kernel, pg_admin, "Initech Corporaton", sort=RELEVANCE)

    assert ranked == ["Initech Corporaton", "Initech Buyer"]
    assert await _total(pg_kernel, pg_admin, "Initech Corporaton", sort=RELEVANCE) == 2
    assert await _total(pg_kernel, pg_admin, "Initech Corporaton") == 1
    assert await _names(pg_kernel, pg_admin, "Analyticl Engines", sort=RELEVANCE) == ["Ada Lovelace"]


@pytest.mark.postgres
async def test_without_relevance_sort_a_typo_matches_nothing(pg_kernel: Kernel, pg_admin: Actor) -> None:
    await _people(pg_kernel, pg_admin)

    assert await _names(pg_kernel, pg_admin, "Analyticl Engines") == []


async def test_a_sqlite_without_fts5_finds_the_same_customers_by_scanning(
    lite_engine: AsyncEngine, clock: ManualClock
) -> None:
    async with lite_engine.begin() as conn:
        for operation in ("insert", "update", "delete"):
            await conn.execute(text(f"DROP TRIGGER customers_fts_{operation}"))
        await conn.execute(text("DROP TABLE customers_fts"))
    kernel = kernel_on(lite_engine, clock)
    admin = await make_tenant(kernel)
    await _people(kernel, admin)

    assert set(await _names(kernel, admin, "navy")) == {"Grace Hopper"}
    assert set(await _names(kernel, admin, "% p")) == {"100% Pure_Honey"}


async def test_a_sqlite_search_for_a_text_holding_a_nul_fails_no_query(
    lite_engine: AsyncEngine, clock: ManualClock
) -> None:
    # The core refuses such a text (ValidationError); the adapter, asked anyway, still answers.
    kernel = kernel_on(lite_engine, clock)
    admin = await make_tenant(kernel)
    await _people(kernel, admin)

    async def names(text: str) -> list[str]:
        async with kernel.uow(admin.tenant_id) as uow:
            page = await uow.customers.list(CustomerQuery(text=text, page=PageRequest(limit=200)))
        return [customer.name for customer in page.items]

    assert await names("navy\x00") == []
    assert await names("\x00") == []
    assert set(await names("navy")) == {"Grace Hopper"}


async def test_relevance_without_text_lists_newest_first(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    for command in PEOPLE[:3]:
        clock.advance(timedelta(minutes=1))
        await CreateCustomerHandler(kernel)(admin, command)

    page = await ListCustomersHandler(kernel)(admin, CustomerQuery(sort=RELEVANCE, page=PageRequest(limit=2)))  # type: ignore[arg-type]

    assert [c.name for c in page.items] == [PEOPLE[2].name, PEOPLE[1].name]
    assert page.next_cursor is not None


async def _relevance_walk(kernel: Kernel, admin: Actor, text: str, limit: int) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = await ListCustomersHandler(kernel)(
            admin,
            CustomerQuery(text=text, sort=RELEVANCE, page=PageRequest.of(limit, cursor)),  # type: ignore[arg-type]
        )
        seen.extend(customer.name for customer in page.items)
        if (cursor := page.next_cursor) is None:
            return seen


@pytest.mark.postgres
async def test_relevance_ranks_a_capped_set_of_the_newest_matches_closest_first(
    pg_kernel: Kernel, pg_admin: Actor, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "RANKED_CANDIDATES", 4)
    create = CreateCustomerHandler(pg_kernel)
    for index in range(6):
        clock.advance(timedelta(minutes=1))
        await create(pg_admin, CreateCustomer(name=f"Shared Word {index}", company="Acme"))
    await create(pg_admin, CreateCustomer(name="Acme"))

    for limit in (1, 2, 3, 5):
        seen = await _relevance_walk(pg_kernel, pg_admin, "acme", limit)
        assert seen[0] == "Acme"
        assert len(seen) == len(set(seen)) == 4
        assert set(seen) == {"Acme", "Shared Word 5", "Shared Word 4", "Shared Word 3"}
    assert await _total(pg_kernel, pg_admin, "acme", sort=RELEVANCE) == 4


@pytest.mark.postgres
async def test_near_matches_are_looked_for_only_when_few_customers_contain_the_text(
    pg_kernel: Kernel, pg_admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _people(pg_kernel, pg_admin)
    await CreateCustomerHandler(pg_kernel)(pg_admin, CreateCustomer(name="Initech Corporaton"))

    monkeypatch.setattr(search, "NEAR_MATCHES_BELOW", 1)
    assert await _names(pg_kernel, pg_admin, "Initech Corporaton", sort=RELEVANCE) == ["Initech Corporaton"]
    monkeypatch.setattr(search, "NEAR_MATCHES_BELOW", 2)
    assert await _names(pg_kernel, pg_admin, "Initech Corporaton", sort=RELEVANCE) == [
        "Initech Corporaton",
        "Initech Buyer",
    ]
