"""Phone numbers as E.164 through the ``phonenumbers`` library, in every customer write."""

from __future__ import annotations

import io

import attrs
import pytest

from lana_adapters.phones import E164Phones
from lana_core.errors import ValidationError
from lana_core.usecases._base import Kernel
from lana_core.usecases.customer_import import ImportCustomers, ImportCustomersHandler
from lana_core.usecases.customers import (
    CreateCustomer,
    CreateCustomerHandler,
    UpdateCustomer,
    UpdateCustomerHandler,
)
from tests.support import make_kernel, make_tenant


@pytest.mark.parametrize(
    ("region", "raw", "stored"),
    [
        (None, "+44 20 7946 0958", "+442079460958"),
        (None, "+44 (0)20 7946-0958", "+442079460958"),
        ("GB", "020 7946 0958", "+442079460958"),
        ("gb", "+1 (415) 555-0132", "+14155550132"),
    ],
)
def test_numbers_are_written_as_e164(region: str | None, raw: str, stored: str) -> None:
    assert E164Phones(region).normalise(raw) == stored


@pytest.mark.parametrize(
    ("region", "raw", "message"),
    [
        (None, "020 7946 0958", "must start with '\\+' and the country code"),
        (None, "+999 1234567", "unknown country code"),
        ("GB", "12", "not a possible phone number"),
        ("GB", "call me", "not a phone number"),
    ],
)
def test_a_number_that_is_not_one_is_refused_saying_why(region: str | None, raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        E164Phones(region).normalise(raw)


def test_an_unknown_default_region_is_a_setting_error() -> None:
    with pytest.raises(ValidationError) as raised:
        E164Phones("XX")

    assert raised.value.errors[0].field == "LANA_PHONE_DEFAULT_REGION"


@pytest.fixture
def kernel() -> Kernel:
    return attrs.evolve(make_kernel(), phones=E164Phones("GB"))


async def test_creates_updates_and_imports_store_e164_and_name_a_bad_number(kernel: Kernel) -> None:
    admin = await make_tenant(kernel)
    made = await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Ada", phone="020 7946 0958"))
    changed = await UpdateCustomerHandler(kernel)(
        admin, UpdateCustomer(customer_id=made.id, phone="+1 415 555 0132")
    )
    source = io.BytesIO(b"name,Mobile\nGrace,07700 900123\nBob,12\n")
    report = await ImportCustomersHandler(kernel)(admin, ImportCustomers(skip_invalid=True), source)

    assert (made.phone, changed.phone) == ("+442079460958", "+14155550132")
    assert report.created == 1
    [refused] = report.refusals
    assert (refused.line, refused.problems) == (
        3,
        (("Mobile", "is not a possible phone number for its country"),),
    )
    with pytest.raises(ValidationError) as raised:
        await CreateCustomerHandler(kernel)(admin, CreateCustomer(name="Cy", phone="12"))
    assert raised.value.errors[0].field == "phone"


async def test_a_number_stored_under_an_earlier_rule_does_not_block_other_edits() -> None:
    lenient = make_kernel()
    admin = await make_tenant(lenient)
    old = await CreateCustomerHandler(lenient)(admin, CreateCustomer(name="Ada", phone="5550102"))
    strict = attrs.evolve(lenient, phones=E164Phones())

    renamed = await UpdateCustomerHandler(strict)(admin, UpdateCustomer(customer_id=old.id, name="Ada K."))

    assert (renamed.name, renamed.phone) == ("Ada K.", "5550102")
