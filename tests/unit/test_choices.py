"""Every closed set of names in the core (statuses, priorities, roles, sorts…) is a Choice:
matched in any case, kept in lower case, and a name outside it refused with every name."""

from __future__ import annotations

import enum
import importlib
import pkgutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

import lana_core
from lana_core import Lana
from lana_core.domain.choices import Choice
from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.pagination import SortOrder
from lana_core.domain.projects import Priority
from lana_core.domain.queries import RELEVANCE, CustomerQuery, CustomerSort, ProjectQuery
from lana_core.domain.tenancy import Role, parse_role
from lana_core.errors import InvalidChoice, ValidationError
from lana_core.usecases.customers import CreateCustomer
from lana_core.usecases.tenants import CreateTenant
from tests.support import PASSWORD


def _string_enums() -> list[type[enum.StrEnum]]:
    for module in pkgutil.walk_packages(lana_core.__path__, "lana_core."):
        importlib.import_module(module.name)
    found: list[type[enum.StrEnum]] = []
    pending: list[type[enum.StrEnum]] = [enum.StrEnum]
    while pending:
        for kind in pending.pop().__subclasses__():
            pending.append(kind)
            if kind is not Choice and kind.__module__.startswith("lana_core."):
                found.append(kind)
    return sorted(found, key=lambda kind: kind.__qualname__)


STRING_ENUMS = _string_enums()
CHOICES = [kind for kind in STRING_ENUMS if issubclass(kind, Choice)]


def test_every_string_enum_of_the_core_is_a_choice() -> None:
    assert {CustomerStatus, CustomerValue, Priority, Role, SortOrder, CustomerSort} <= set(CHOICES)
    assert [kind.__qualname__ for kind in STRING_ENUMS if kind not in CHOICES] == []


@pytest.mark.parametrize("kind", CHOICES, ids=lambda kind: kind.__qualname__)
def test_every_value_is_lower_case_and_ascii(kind: type[Choice]) -> None:
    # What makes "any case" unambiguous: no two values differ only in case.
    assert all(value == value.lower() and value.isascii() for value in kind.allowed())


@st.composite
def spellings(draw: st.DrawFn) -> tuple[Choice, str]:
    """A member of some Choice, and its value with each letter in either case."""
    member = draw(st.sampled_from(CHOICES).flatmap(st.sampled_from))
    cases = draw(st.lists(st.booleans(), min_size=len(member.value), max_size=len(member.value)))
    return member, "".join(c.upper() if up else c for c, up in zip(member.value, cases, strict=True))


@given(spellings())
def test_a_value_in_any_case_names_its_member_and_reads_back_in_lower_case(
    spelt: tuple[Choice, str],
) -> None:
    member, spelling = spelt
    found = type(member)(spelling)
    assert found is member
    assert str(found) == found.value == spelling.lower()


@given(st.sampled_from(CHOICES), st.text(max_size=12) | st.integers() | st.none())
def test_anything_else_is_refused_with_every_value_of_the_set(kind: type[Choice], value: object) -> None:
    is_spelling = isinstance(value, str) and value.isascii() and value.lower() in kind.allowed()
    if is_spelling:
        return
    with pytest.raises(InvalidChoice) as raised:
        kind(value)
    error = raised.value
    assert isinstance(error, ValidationError)
    assert isinstance(error, ValueError)  # what code that catches a failed enum look-up expects
    (field_error,) = error.errors
    assert (field_error.field, field_error.code) == (kind.field_name, "invalid_choice")
    assert field_error.message == f"must be one of: {', '.join(kind.allowed())} (in any case)"


def test_a_letter_that_only_lower_cases_to_ascii_is_no_spelling() -> None:
    with pytest.raises(InvalidChoice):
        Priority("\N{KELVIN SIGN}")  # lower-cases to "k", but is no letter of any value
    with pytest.raises(InvalidChoice):
        CustomerSort("N\N{LATIN CAPITAL LETTER A WITH RING ABOVE}ME")


def test_queries_parse_their_filters_and_sorts_in_any_case() -> None:
    query = CustomerQuery(status="ACTIVE", value="High", sort="NAME", order="Asc")  # type: ignore[arg-type]
    assert (query.status, query.value) == (CustomerStatus.ACTIVE, CustomerValue.HIGH)
    assert (query.sort, query.order) == (CustomerSort.NAME, SortOrder.ASC)
    assert ProjectQuery(priority="URGENT").priority is Priority.URGENT  # type: ignore[arg-type]
    with pytest.raises(InvalidChoice, match="status: must be one of: prospect, active, inactive"):
        CustomerQuery(status="won")  # type: ignore[arg-type]


def test_a_customer_query_refuses_a_sort_no_adapter_answers() -> None:
    assert CustomerQuery(sort="Relevance").sort == RELEVANCE  # type: ignore[arg-type]
    with pytest.raises(InvalidChoice, match="sort: must be one of: created_at, updated_at, name, relevance"):
        CustomerQuery(sort="shoe_size")  # type: ignore[arg-type]


def test_a_role_is_parsed_in_any_case_around_white_space() -> None:
    assert parse_role(" Manager ") is Role.MANAGER
    with pytest.raises(InvalidChoice, match="role: must be one of: admin, manager, agent, viewer"):
        parse_role("boss")


async def test_a_library_caller_may_name_a_status_and_value_as_the_original_spelt_them() -> None:
    lana = Lana.in_memory()
    _, admin = await lana.create_tenant(
        CreateTenant(
            slug="acme", name="Acme", admin_email="ada@acme.test", admin_name="Ada", admin_password=PASSWORD
        )
    )
    spelt = CreateCustomer(name="Grace", status="ACTIVE", value="HIGH")  # type: ignore[arg-type]
    customer = await lana.create_customer(admin, spelt)
    assert (customer.status, customer.value) == (CustomerStatus.ACTIVE, CustomerValue.HIGH)
    assert customer.activated_at is not None
    listed = await lana.list_customers(admin, CustomerQuery(status="Active"))  # type: ignore[arg-type]
    assert [c.id for c in listed.items] == [customer.id]
    with pytest.raises(InvalidChoice) as raised:
        await lana.create_customer(admin, CreateCustomer(name="Alan", value="huge"))  # type: ignore[arg-type]
    assert raised.value.allowed == ("low", "medium", "high")
    assert len((await lana.list_customers(admin, CustomerQuery())).items) == 1
