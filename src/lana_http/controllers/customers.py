"""Customers: list, create, read (with stats), edit, change status or value, archive, restore."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from attrs import evolve
from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from lana_core.app import Lana
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor
from lana_core.usecases.customer_batch import MAX_CUSTOMERS_PER_BATCH, CreateCustomersBatch
from lana_core.usecases.customers import (
    ChangeCustomerStatus,
    ChangeCustomerValue,
    CreateCustomer,
    UpdateCustomer,
)
from lana_http.concurrency import (
    ETAG_HEADER,
    LOCATION_HEADER,
    IdempotencyKey,
    IfMatch,
    changed,
    documented_change,
    with_etag,
)
from lana_http.controllers._common import (
    API,
    DEFAULT_PAGE,
    Count,
    Cursor,
    Limit,
    page_of,
    sent_fields,
)
from lana_http.controllers.customer_filters import CUSTOMER_FILTERS
from lana_http.problems import READ, WRITE, documented
from lana_http.schemas.base import Body, Out
from lana_http.schemas.customers import (
    CustomerCreate,
    CustomerDetailOut,
    CustomerOut,
    CustomerPage,
    CustomerPatch,
    CustomerStatusChange,
    CustomerValueChange,
)

ID = "/{customer_id:uuid}"


class CustomerBatchCreate(Body):
    customers: Annotated[list[CustomerCreate], Meta(min_length=1, max_length=MAX_CUSTOMERS_PER_BATCH)]


class CustomerBatchOut(Out):
    """The created customers, in the order they were sent."""

    items: list[CustomerOut]


class CustomerController(Controller):
    """Customers and their lifecycle."""

    path = f"{API}/customers"
    tags = ("customers",)

    @get("/", operation_id="listCustomers", responses=documented(*READ), dependencies=CUSTOMER_FILTERS)
    async def list_customers(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        filters: NamedDependency[CustomerQuery],
        limit: Limit = DEFAULT_PAGE,
        cursor: Cursor = None,
        count: Count = False,
    ) -> CustomerPage:
        """Customers matching every filter given, one page at a time; `q` searches name, email and company.
        `count=true` adds `total`, the number of matches on all pages."""
        query = evolve(filters, page=page_of(limit, cursor))
        return CustomerPage.of(await lana.list_customers(actor, query, with_total=count))

    @post(
        "/",
        operation_id="createCustomer",
        responses=documented(*WRITE),
        response_headers=[ETAG_HEADER, LOCATION_HEADER],
        opt={"idempotent": True},
    )
    async def create_customer(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        data: JSONBody[CustomerCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[CustomerOut]:
        """Create a customer; an agent's customers are its own. Send `Idempotency-Key` to retry safely."""
        customer = await lana.create_customer(actor, _create_command(data))
        location = f"/api/v1/customers/{customer.id}"
        return with_etag(CustomerOut.of(customer), customer.version, status=201, location=location)

    @post(
        "/batch", operation_id="createCustomersBatch", responses=documented(*WRITE), opt={"idempotent": True}
    )
    async def create_customers_batch(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        data: JSONBody[CustomerBatchCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> CustomerBatchOut:
        """Create 1 to 1000 customers, all or none; errors name the item (`customers[3].email`).
        Send `Idempotency-Key` to retry safely."""
        command = CreateCustomersBatch(customers=[_create_command(item) for item in data.customers])
        made = await lana.create_customers_batch(actor, command)
        return CustomerBatchOut(items=[CustomerOut.of(customer) for customer in made])

    @get(ID, operation_id="getCustomer", responses=documented(*READ, 410), response_headers=[ETAG_HEADER])
    async def get_customer(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], customer_id: FromPath[UUID]
    ) -> Response[CustomerDetailOut]:
        """One customer with its project and task figures; a merged customer answers 410 with
        `merged_into`, the id of the customer it was merged into."""
        view = await lana.get_customer(actor, customer_id)
        return with_etag(CustomerDetailOut.of_view(view), view.customer.version)

    @patch(ID, operation_id="updateCustomer", **documented_change())
    async def update_customer(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
        data: JSONBody[CustomerPatch],
    ) -> Response[CustomerOut]:
        """Edit contact details, tags, attributes or owner. Requires `If-Match`."""
        return await changed(
            if_match,
            lambda expected: lana.update_customer(
                actor, UpdateCustomer(customer_id=customer_id, expected_version=expected, **sent_fields(data))
            ),
            CustomerOut.of,
        )

    @delete(ID, operation_id="archiveCustomer", status_code=200, **documented_change())
    async def archive_customer(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
    ) -> Response[CustomerOut]:
        """Archive (soft-delete) a customer; its history stays. Requires `If-Match`."""
        return await changed(
            if_match, lambda expected: lana.archive_customer(actor, customer_id, expected), CustomerOut.of
        )

    @post(
        f"{ID}/restore", operation_id="restoreCustomer", status_code=200, **documented_change(required=False)
    )
    async def restore_customer(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
    ) -> Response[CustomerOut]:
        """Bring an archived customer back; `If-Match` is checked when sent."""
        return await changed(
            if_match,
            lambda expected: lana.restore_customer(actor, customer_id, expected),
            CustomerOut.of,
            required=False,
        )

    @post(
        f"{ID}/status",
        operation_id="changeCustomerStatus",
        status_code=200,
        **documented_change(required=False),
    )
    async def change_status(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
        data: JSONBody[CustomerStatusChange],
    ) -> Response[CustomerOut]:
        """Move a customer along prospect → active ⇄ inactive; `If-Match` is checked when sent."""
        return await changed(
            if_match,
            lambda expected: lana.change_customer_status(
                actor,
                ChangeCustomerStatus(customer_id=customer_id, status=data.status, expected_version=expected),
            ),
            CustomerOut.of,
            required=False,
        )

    @post(
        f"{ID}/value",
        operation_id="changeCustomerValue",
        status_code=200,
        **documented_change(required=False),
    )
    async def change_value(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
        data: JSONBody[CustomerValueChange],
    ) -> Response[CustomerOut]:
        """Change a customer's value tier; `If-Match` is checked when sent."""
        return await changed(
            if_match,
            lambda expected: lana.change_customer_value(
                actor,
                ChangeCustomerValue(customer_id=customer_id, value=data.value, expected_version=expected),
            ),
            CustomerOut.of,
            required=False,
        )


def _create_command(data: CustomerCreate) -> CreateCustomer:
    return CreateCustomer(**{**sent_fields(data), "tags": tuple(data.tags)})
