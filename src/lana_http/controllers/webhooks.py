"""Webhook subscriptions: admins create, list, read, change, delete and rotate them, read
their deliveries and delivery log, and ask for deliveries again."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from lana_core.app import Lana
from lana_core.domain.tenancy import Actor
from lana_core.usecases.webhooks import ChangeWebhook, CreateWebhook
from lana_http.concurrency import ETAG_HEADER, LOCATION_HEADER, IfMatch, changed, documented_change, with_etag
from lana_http.controllers._common import API, DEFAULT_PAGE, Cursor, Limit, page_of, sent_fields
from lana_http.problems import READ, WRITE, documented
from lana_http.schemas.webhooks import (
    AttemptPage,
    DeliveryOut,
    DeliveryPage,
    Redelivered,
    RedeliverRange,
    WebhookCreate,
    WebhookOut,
    WebhookPage,
    WebhookPatch,
    WebhookWithSecret,
)

WEBHOOKS = f"{API}/webhooks"
ID = "/{subscription_id:uuid}"


class WebhookController(Controller):
    """The tenant's webhook subscriptions (admins only)."""

    path = WEBHOOKS
    tags = ("webhooks",)

    @post(
        "/",
        operation_id="createWebhook",
        responses=documented(*WRITE),
        response_headers=[ETAG_HEADER, LOCATION_HEADER],
    )
    async def create_webhook(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], data: JSONBody[WebhookCreate]
    ) -> Response[WebhookWithSecret]:
        """Subscribe a URL to events; the signing secret is in this answer only. 422 for a URL
        that is not http(s) or names a loopback, private or metadata address, a bad pattern or
        filter, or the seed format for events it cannot carry."""
        command = CreateWebhook(
            url=data.url, event_types=tuple(data.event_types), filters=tuple(data.filters), format=data.format
        )
        created = await lana.create_webhook(actor, command)
        location = f"{WEBHOOKS}/{created.id}"
        return with_etag(WebhookWithSecret.of(created), created.version, status=201, location=location)

    @get("/", operation_id="listWebhooks", responses=documented(*READ))
    async def list_webhooks(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        limit: Limit = DEFAULT_PAGE,
        cursor: Cursor = None,
    ) -> WebhookPage:
        """The tenant's subscriptions, newest first; never a secret."""
        return WebhookPage.of(await lana.list_webhooks(actor, page_of(limit, cursor)))

    @get(ID, operation_id="getWebhook", responses=documented(*READ), response_headers=[ETAG_HEADER])
    async def get_webhook(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], subscription_id: FromPath[UUID]
    ) -> Response[WebhookOut]:
        subscription = await lana.get_webhook(actor, subscription_id)
        return with_etag(WebhookOut.of(subscription), subscription.version)

    @patch(ID, operation_id="updateWebhook", **documented_change(required=False))
    async def update_webhook(
        self,
        *,
        if_match: IfMatch = None,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        subscription_id: FromPath[UUID],
        data: JSONBody[WebhookPatch],
    ) -> Response[WebhookOut]:
        """Change the URL, patterns, filters or format, or pause (`active: false`) or resume it;
        `If-Match` is checked when sent."""
        return await changed(
            if_match,
            lambda expected: lana.update_webhook(
                actor,
                ChangeWebhook(
                    subscription_id=subscription_id, expected_version=expected, **sent_fields(data)
                ),
            ),
            WebhookOut.of,
            required=False,
        )

    @delete(ID, operation_id="deleteWebhook", responses=documented(*WRITE))
    async def delete_webhook(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], subscription_id: FromPath[UUID]
    ) -> None:
        """Delete the subscription with its deliveries and delivery log."""
        await lana.delete_webhook(actor, subscription_id)

    @post(
        f"{ID}/rotate-secret",
        operation_id="rotateWebhookSecret",
        status_code=200,
        responses=documented(*WRITE),
        response_headers=[ETAG_HEADER],
    )
    async def rotate_webhook_secret(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], subscription_id: FromPath[UUID]
    ) -> Response[WebhookWithSecret]:
        """A new signing secret, in this answer only; the old one stops signing at once."""
        rotated = await lana.rotate_webhook_secret(actor, subscription_id)
        return with_etag(WebhookWithSecret.of(rotated), rotated.version)

    @get(f"{ID}/deliveries", operation_id="listWebhookDeliveries", responses=documented(*READ))
    async def list_webhook_deliveries(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        subscription_id: FromPath[UUID],
        limit: Limit = DEFAULT_PAGE,
        cursor: Cursor = None,
    ) -> DeliveryPage:
        """The subscription's deliveries, last enqueued first: each event owed, its status
        (pending, failed with a retry due, succeeded, dead), attempts and next attempt."""
        page = await lana.list_webhook_deliveries(actor, subscription_id, page_of(limit, cursor))
        return DeliveryPage.of(page)

    @get(f"{ID}/attempts", operation_id="listWebhookAttempts", responses=documented(*READ))
    async def list_webhook_attempts(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        subscription_id: FromPath[UUID],
        delivery_id: FromQuery[UUID | None] = None,
        limit: Limit = DEFAULT_PAGE,
        cursor: Cursor = None,
    ) -> AttemptPage:
        """The delivery log, newest first: time, HTTP status, latency, attempt number and
        response excerpt of every try (of one delivery with `delivery_id`)."""
        page = await lana.list_webhook_attempts(
            actor, subscription_id, page_of(limit, cursor), delivery_id=delivery_id
        )
        return AttemptPage.of(page)

    @post(
        f"{ID}/deliveries/{{delivery_id:uuid}}/redeliver",
        operation_id="redeliverWebhookDelivery",
        status_code=202,
        responses=documented(*WRITE),
    )
    async def redeliver_webhook_delivery(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        subscription_id: FromPath[UUID],
        delivery_id: FromPath[UUID],
    ) -> DeliveryOut:
        """Send one delivery again, whatever became of it; it goes out with its event id, so a
        receiver that de-duplicates can tell."""
        return DeliveryOut.of(await lana.redeliver_webhook(actor, subscription_id, delivery_id))

    @post(
        f"{ID}/redeliver", operation_id="redeliverWebhookRange", status_code=202, responses=documented(*WRITE)
    )
    async def redeliver_webhook_range(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        subscription_id: FromPath[UUID],
        data: JSONBody[RedeliverRange],
    ) -> Redelivered:
        """Send again every delivery whose event occurred in `[from, to)`."""
        count = await lana.redeliver_webhook_range(actor, subscription_id, data.since, data.until)
        return Redelivered(redelivered=count)
