"""A customer's interactions, timeline and insights, and insights for many customers at once."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from lana_core.app import Lana
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor
from lana_core.usecases.insights import GenerateInsight, GenerateInsightsBatch
from lana_core.usecases.interactions import RecordInteraction, UpdateInteraction
from lana_core.usecases.timeline import DEFAULT_TIMELINE_LIMIT
from lana_http.concurrency import (
    ETAG_HEADER,
    LOCATION_HEADER,
    IdempotencyKey,
    IfMatch,
    changed,
    conditional,
    documented_change,
    with_etag,
)
from lana_http.controllers._common import API, DEFAULT_PAGE, Count, Cursor, Limit, page_of, sent_fields
from lana_http.problems import GUARDED_WRITE, READ, WRITE, documented
from lana_http.schemas.history import (
    BatchItemOut,
    BatchResult,
    InsightOut,
    InsightPage,
    InsightRequest,
    InteractionCreate,
    InteractionOut,
    InteractionPage,
    InteractionPatch,
    Timeline,
)
from lana_http.schemas.insights import InsightBatchRequest

CUSTOMER = "/customers/{customer_id:uuid}"
INTERACTION = "/interactions/{interaction_id:uuid}"


class InteractionController(Controller):
    """A customer's interactions (record, read, correct, delete, list) and timeline."""

    path = f"{API}{CUSTOMER}"
    tags = ("interactions",)

    @get("/interactions", operation_id="listInteractions", responses=documented(*READ))
    async def list_interactions(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
        limit: Limit = DEFAULT_PAGE,
        cursor: Cursor = None,
        count: Count = False,
    ) -> InteractionPage:
        """The customer's emails, calls, meetings and notes, newest first; `count=true` adds `total`."""
        page = await lana.list_interactions(actor, customer_id, page_of(limit, cursor), with_total=count)
        return InteractionPage.of(page)

    @post(
        "/interactions",
        operation_id="recordInteraction",
        responses=documented(*WRITE),
        response_headers=[ETAG_HEADER, LOCATION_HEADER],
        opt={"idempotent": True},
    )
    async def record_interaction(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
        data: JSONBody[InteractionCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[InteractionOut]:
        """Record an email, call, meeting or note; a subject or content is required."""
        command = RecordInteraction(
            customer_id=customer_id,
            type=data.type,
            subject=data.subject,
            content=data.content,
            occurred_at=data.occurred_at,
        )
        interaction = await lana.record_interaction(actor, command)
        location = f"{API}/customers/{customer_id}/interactions/{interaction.id}"
        return with_etag(InteractionOut.of(interaction), interaction.version, status=201, location=location)

    @get(
        INTERACTION,
        operation_id="getInteraction",
        responses=documented(*READ),
        response_headers=[ETAG_HEADER],
    )
    async def get_interaction(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
        interaction_id: FromPath[UUID],
    ) -> Response[InteractionOut]:
        """One of the customer's interactions, with its ETag for a later `If-Match`."""
        interaction = await lana.get_interaction(actor, customer_id, interaction_id)
        return with_etag(InteractionOut.of(interaction), interaction.version)

    @patch(INTERACTION, operation_id="updateInteraction", **documented_change())
    async def update_interaction(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
        interaction_id: FromPath[UUID],
        data: JSONBody[InteractionPatch],
    ) -> Response[InteractionOut]:
        """Correct type, subject, content or time (its author, a manager or an admin). Requires `If-Match`."""
        return await changed(
            if_match,
            lambda expected: lana.update_interaction(
                actor,
                UpdateInteraction(
                    customer_id=customer_id,
                    interaction_id=interaction_id,
                    expected_version=expected,
                    **sent_fields(data),
                ),
            ),
            InteractionOut.of,
        )

    @delete(
        INTERACTION, operation_id="deleteInteraction", status_code=204, responses=documented(*GUARDED_WRITE)
    )
    async def delete_interaction(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
        interaction_id: FromPath[UUID],
    ) -> None:
        """Delete an interaction for good (its author, a manager or an admin). Requires `If-Match`."""
        await conditional(
            if_match, lambda expected: lana.delete_interaction(actor, customer_id, interaction_id, expected)
        )

    @get("/timeline", operation_id="getCustomerTimeline", responses=documented(*READ))
    async def timeline(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
        limit: Limit = DEFAULT_TIMELINE_LIMIT,
        cursor: Cursor = None,
    ) -> Timeline:
        """The customer's recorded changes and interactions, newest first, one page at a time."""
        return Timeline.of(await lana.get_timeline(actor, customer_id, page_of(limit, cursor)))


class InsightController(Controller):
    """A customer's insights: generate, read the latest, list."""

    path = f"{API}{CUSTOMER}/insights"
    tags = ("insights",)

    @get("/", operation_id="listInsights", responses=documented(*READ))
    async def list_insights(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
        limit: Limit = DEFAULT_PAGE,
        cursor: Cursor = None,
    ) -> InsightPage:
        """The customer's insights, newest first."""
        return InsightPage.of(await lana.list_insights(actor, customer_id, page_of(limit, cursor)))

    @get("/latest", operation_id="getLatestInsight", responses=documented(*READ))
    async def latest(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], customer_id: FromPath[UUID]
    ) -> InsightOut:
        """The customer's most recent insight (404 before the first one)."""
        return InsightOut.of(await lana.get_latest_insight(actor, customer_id))

    @post("/", operation_id="generateInsight", status_code=200, responses=documented(*WRITE))
    async def generate(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        customer_id: FromPath[UUID],
        data: JSONBody[InsightRequest | None] = None,
    ) -> Response[InsightOut]:
        """Assess the customer; a stored insight still fresh is returned unless `refresh` is true."""
        refresh = data.refresh if data is not None else False
        insight = await lana.generate_insight(
            actor, GenerateInsight(customer_id=customer_id, refresh=refresh)
        )
        return Response(InsightOut.of(insight), status_code=200)


class InsightBatchController(Controller):
    """Insights for many customers in one call."""

    path = f"{API}/insights"
    tags = ("insights",)

    @post("/batch", operation_id="generateInsightsBatch", status_code=200, responses=documented(*WRITE))
    async def batch(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        data: JSONBody[InsightBatchRequest],
    ) -> BatchResult:
        """Assess up to 500 customers, named or matching a filter; each item carries its insight or error."""
        query = None
        if data.filter is not None:
            f = data.filter
            query = CustomerQuery(status=f.status, value=f.value, tag=f.tag, owner_id=f.owner_id, text=f.q)
        ids = None if data.customer_ids is None else tuple(data.customer_ids)
        command = GenerateInsightsBatch(customer_ids=ids, query=query, refresh=data.refresh)
        items = await lana.generate_insights_batch(actor, command)
        return BatchResult(items=[BatchItemOut.of(item) for item in items])
