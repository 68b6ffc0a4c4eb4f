"""The filters and order a customer list and the customer export both read from the query."""

from __future__ import annotations

from uuid import UUID

from litestar.di import Provide
from litestar.params import FromQuery

from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.pagination import SortOrder
from lana_core.domain.queries import Archived, CustomerQuery, CustomerSort
from lana_http.controllers._common import TextFilter, TimeFilter, aware


def customer_filters(
    *,
    status: FromQuery[CustomerStatus | None] = None,
    value: FromQuery[CustomerValue | None] = None,
    tag: TextFilter = None,
    owner_id: FromQuery[UUID | None] = None,
    q: TextFilter = None,
    created_after: TimeFilter = None,
    created_before: TimeFilter = None,
    archived: FromQuery[Archived] = Archived.EXCLUDE,
    sort: FromQuery[CustomerSort] = CustomerSort.CREATED_AT,
    order: FromQuery[SortOrder] = SortOrder.DESC,
) -> CustomerQuery:
    """The customers the query asks for, on the first page; `q` searches name, email and company."""
    return CustomerQuery(
        status=status,
        value=value,
        tag=tag,
        owner_id=owner_id,
        text=q,
        created_after=aware(created_after, "created_after"),
        created_before=aware(created_before, "created_before"),
        archived=archived,
        sort=sort,
        order=order,
    )


# Handlers name it ``filters``.
CUSTOMER_FILTERS = {"filters": Provide(customer_filters, sync_to_thread=False)}
