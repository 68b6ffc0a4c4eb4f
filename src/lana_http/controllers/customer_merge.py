"""Duplicate customers: find likely pairs, merge duplicates into the customer that stays."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import Meta

from lana_core.app import Lana
from lana_core.domain.duplicates import DuplicatePair, DuplicateReason
from lana_core.domain.pagination import Page
from lana_core.domain.tenancy import Actor
from lana_core.usecases.customer_merge import MAX_MERGED_PER_CALL, MergeCustomers
from lana_http.concurrency import IfMatch, changed, documented_change
from lana_http.controllers._common import API, DEFAULT_PAGE, Cursor, Limit, page_of
from lana_http.problems import READ, documented
from lana_http.schemas.base import Body, Out
from lana_http.schemas.customers import CustomerOut


class CustomerMerge(Body):
    """The customers to merge into the one named by the path."""

    merge_ids: Annotated[list[UUID], Meta(min_length=1, max_length=MAX_MERGED_PER_CALL)]


class DuplicateOut(Out):
    """Two customers that are likely one: ``score`` in (0, 1], and why."""

    customer_ids: list[UUID]
    score: float
    reasons: list[DuplicateReason]

    @classmethod
    def of(cls, pair: DuplicatePair) -> DuplicateOut:
        return cls(customer_ids=[pair.first_id, pair.second_id], score=pair.score, reasons=list(pair.reasons))


class DuplicatePage(Out):
    items: list[DuplicateOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[DuplicatePair]) -> DuplicatePage:
        return cls(items=[DuplicateOut.of(pair) for pair in page.items], next_cursor=page.next_cursor)


class CustomerMergeController(Controller):
    """Duplicate detection and merge of customers."""

    path = f"{API}/customers"
    tags = ("customers",)

    @get("/duplicates", operation_id="listDuplicateCustomers", responses=documented(*READ))
    async def list_duplicates(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        limit: Limit = DEFAULT_PAGE,
        cursor: Cursor = None,
    ) -> DuplicatePage:
        """Pairs of live customers that are likely one, highest score first: same email (ignoring
        case and a `+tag`), same phone digits, or a similar name at the same company. Managers and admins."""
        return DuplicatePage.of(await lana.find_duplicate_customers(actor, page_of(limit, cursor)))

    @post("/{customer_id:uuid}/merge", operation_id="mergeCustomers", status_code=200, **documented_change())
    async def merge_customers(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
        data: JSONBody[CustomerMerge],
    ) -> Response[CustomerOut]:
        """Merge `merge_ids` into this customer: their projects, tasks, interactions and insights
        move here, tags are united, attributes and empty fields filled; they answer 410 with
        `merged_into` afterwards. All or nothing. Requires `If-Match` (this customer's version)."""
        return await changed(
            if_match,
            lambda expected: lana.merge_customers(
                actor,
                MergeCustomers(customer_id=customer_id, merge_ids=data.merge_ids, expected_version=expected),
            ),
            CustomerOut.of,
        )
