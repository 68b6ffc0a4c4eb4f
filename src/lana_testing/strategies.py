"""Shared hypothesis strategies: valid customer data, commands and queries.

Values are valid by construction (what the domain accepts), drawn from alphabets wide
enough to find case, accent and LIKE-escaping bugs in adapters.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from hypothesis import strategies as st

from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.pagination import PageRequest, SortOrder
from lana_core.domain.queries import Archived, CustomerQuery, CustomerSort
from lana_core.domain.validation import JsonScalar
from lana_core.usecases.customers import CreateCustomer

T = TypeVar("T")

# Letters in both cases (some outside ASCII), digits, a space, and the characters SQL LIKE treats specially.
NAME_ALPHABET = "abcdeABCDEéÉöÖß019 %_'"

names = st.text(NAME_ALPHABET, min_size=1, max_size=24).filter(lambda s: s.strip() != "")
companies = st.none() | names
statuses = st.sampled_from(CustomerStatus)
values = st.sampled_from(CustomerValue)

_local_parts = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,11}", fullmatch=True)
_domains = st.from_regex(r"[a-z0-9]{1,8}\.(com|org|io)", fullmatch=True)
emails = st.builds(lambda local, domain: f"{local}@{domain}", _local_parts, _domains)


@st.composite
def raw_emails(draw: st.DrawFn) -> tuple[str, str]:
    """An address as a person might type it (mixed case, padding) and its normal form."""
    clean = draw(emails)
    typed = "".join(c.upper() if draw(st.booleans()) else c for c in clean)
    pad = draw(st.sampled_from(["", " ", "\t", "  "]))
    return f"{pad}{typed}{pad}", clean


# Every character a single-line text field may hold: anything but a control character (Cc)
# or an unpaired surrogate (Cs); multi-line text adds tab and the line breaks.
line_characters = st.characters(exclude_categories=("Cc", "Cs"))
lines_characters = line_characters | st.sampled_from("\t\n\r")
# Characters every text field refuses, the multi-line ones too.
CONTROL_CHARACTERS = st.characters(categories=("Cc", "Cs")).filter(lambda c: c not in "\t\n\r")
# Tab and the line breaks: refused in single-line text only.
LINE_BREAKS = st.sampled_from("\t\n\r")

tags = st.from_regex(r"[a-z0-9][a-z0-9_:-]{0,11}", fullmatch=True)
tag_sets = st.lists(tags, max_size=4, unique=True).map(tuple)

_json_scalars: st.SearchStrategy[JsonScalar] = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(lines_characters, max_size=12)
)
attribute_maps = st.dictionaries(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True), _json_scalars, max_size=4
)


def create_customer_commands(
    email: st.SearchStrategy[str | None] | None = None,
    external_id: st.SearchStrategy[str | None] | None = None,
) -> st.SearchStrategy[CreateCustomer]:
    """Valid CreateCustomer commands; pass ``email`` to control addresses (e.g. unique ones),
    ``external_id`` to give external ids (none by default: they are unique in a tenant)."""
    return st.builds(
        CreateCustomer,
        name=names,
        email=st.none() | emails if email is None else email,
        external_id=st.none() if external_id is None else external_id,
        company=companies,
        value=values,
        status=statuses,
        tags=tag_sets,
        attributes=attribute_maps,
    )


def clock_steps(max_minutes: int = 90) -> st.SearchStrategy[timedelta]:
    """How far the clock moves between two commands; zero often, so sort keys tie."""
    return st.sampled_from([timedelta(0)]) | st.integers(1, max_minutes).map(lambda m: timedelta(minutes=m))


def sometimes(values: st.SearchStrategy[T], *, one_in: int = 4) -> st.SearchStrategy[T | None]:
    """``values`` about once in ``one_in`` draws, else None: combined filters then still match something."""
    return st.integers(1, one_in).flatmap(lambda n: values if n == 1 else st.none())


def customer_queries(
    *,
    texts: st.SearchStrategy[str],
    tag_pool: st.SearchStrategy[str],
    owners: st.SearchStrategy[UUID],
    start: datetime,
    span: timedelta,
    max_limit: int = 7,
) -> st.SearchStrategy[CustomerQuery]:
    """Any combination of CustomerQuery filters (each set now and then), sort, order and a small page size."""
    moments = st.integers(0, int(span.total_seconds() // 60)).map(lambda m: start + timedelta(minutes=m))
    return st.builds(
        CustomerQuery,
        status=sometimes(statuses),
        value=sometimes(values),
        tag=sometimes(tag_pool),
        owner_id=sometimes(owners),
        text=sometimes(texts),
        created_after=sometimes(moments),
        created_before=sometimes(moments),
        archived=st.sampled_from(Archived),
        sort=st.sampled_from(CustomerSort),
        order=st.sampled_from(SortOrder),
        page=st.integers(1, max_limit).map(lambda n: PageRequest(limit=n)),
    )
