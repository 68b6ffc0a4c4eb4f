"""Customers as CSV: headers name fields however they are typed; an export imports unchanged."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lana_core.domain.customer_csv import EXPORT_COLUMNS, FIELDS, UnknownColumns, customer_row, map_columns
from lana_core.domain.pagination import MAX_LIMIT, PageRequest
from lana_core.domain.queries import CustomerQuery
from lana_core.usecases.customer_import import ImportCustomers, ImportCustomersHandler
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler, ListCustomersHandler
from tests import strategies
from tests.support import make_kernel, make_tenant

_SPELLINGS = {
    "email": ["E-mail", "Email address", "e_mail", "EMAIL"],
    "company": ["Company name", "Organisation", "company"],
    "phone": ["Phone number", "Telephone", "mobile"],
    "name": ["Full Name", "name", "Contact name"],
    "owner_id": ["Owner", "Owner ID", "owner_id"],
}


@st.composite
def typed_headers(draw: st.DrawFn) -> tuple[str, str]:
    """A header as a person or a spreadsheet may type it, and the field it names."""
    field = draw(st.sampled_from(FIELDS))
    spelling = draw(st.sampled_from([field, *_SPELLINGS.get(field, [])]))
    cased = "".join(c.upper() if draw(st.booleans()) else c.lower() for c in spelling)
    spaced = cased.replace("_", draw(st.sampled_from(["_", " ", "-", " - "])))
    pad = draw(st.sampled_from(["", " ", "  "]))
    return f"{pad}{spaced}{pad}", field


@given(st.lists(typed_headers(), min_size=1, max_size=6, unique_by=lambda typed: typed[1]))
def test_a_header_names_its_field_in_any_case_spacing_or_common_spelling(
    typed: list[tuple[str, str]],
) -> None:
    headers = [header for header, _ in typed]
    if not {"name", "email"} & {field for _, field in typed}:
        headers.append("Name")
        typed.append(("Name", "name"))

    mapped = map_columns(headers, {}, UnknownColumns.REFUSE)

    assert [c.target for c in mapped.columns] == [field for _, field in typed]


# Keys of another system as spreadsheets hold them: codes, numbers, text with spaces.
_EXTERNAL_IDS = st.text(st.sampled_from("AZaz09-_ ."), min_size=1, max_size=12).map(str.strip).filter(bool)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(
    commands=st.lists(
        strategies.create_customer_commands(external_id=st.none() | _EXTERNAL_IDS), min_size=1, max_size=5
    ),
    match=st.sampled_from(["email", "external_id"]),
)
async def test_an_exported_file_imported_as_upsert_changes_nothing(
    commands: list[CreateCustomer], match: str
) -> None:
    kernel = make_kernel()
    admin = await make_tenant(kernel)
    taken: set[str] = set()
    for command in commands:
        keys = {f"email:{command.email}", f"external_id:{command.external_id}"} - {
            "email:None",
            "external_id:None",
        }
        if taken.isdisjoint(keys):
            taken |= keys
            await CreateCustomerHandler(kernel)(admin, command)
    query = CustomerQuery(page=PageRequest.of(MAX_LIMIT, None))
    stored = (await ListCustomersHandler(kernel)(admin, query)).items
    text = io.StringIO()
    csv.writer(text).writerows([list(EXPORT_COLUMNS), *(customer_row(c) for c in stored)])

    report = await ImportCustomersHandler(kernel)(
        admin, ImportCustomers(mode="upsert", match=match), io.BytesIO(text.getvalue().encode())
    )

    assert (report.unchanged, report.refused, report.updated, report.created) == (len(stored), 0, 0, 0)
    assert (await ListCustomersHandler(kernel)(admin, query)).items == stored
