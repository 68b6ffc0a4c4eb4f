"""Webhook subscription bodies. The signing secret is in the answer to a create or a
rotation only, once; nothing else ever carries it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from lana_adapters.messaging.webhook import shown_url
from lana_core.domain import webhook_filters, webhook_urls, webhooks
from lana_core.domain.pagination import Page
from lana_core.domain.webhooks import Delivery, DeliveryAttempt, DeliveryStatus, Subscription, WebhookFormat
from lana_http.schemas.base import Body, Out

Url = Annotated[str, Meta(max_length=webhook_urls.MAX_URL_LENGTH)]
Patterns = Annotated[
    list[Annotated[str, Meta(max_length=200)]],
    Meta(max_length=webhooks.MAX_PATTERNS),
    msgspec.Meta(extra_json_schema={"examples": [["customer.*", "task.completed"]]}),
]
Filters = Annotated[
    list[Annotated[str, Meta(max_length=webhook_filters.MAX_CONDITION_LENGTH)]],
    Meta(max_length=webhook_filters.MAX_CONDITIONS),
    msgspec.Meta(extra_json_schema={"examples": [["value = high", "status in (active, prospect)"]]}),
]


class WebhookCreate(Body):
    """``event_types``: topic patterns (``*`` one word, ``#`` any); ``filters``: conditions
    on the event body, all of which must hold; ``format``: ``lana`` (the event envelope) or
    ``seed`` (the original CRM's customer body, for customer.created events only)."""

    url: Url
    event_types: Patterns
    filters: Filters = msgspec.field(default_factory=list)
    format: WebhookFormat = WebhookFormat.LANA


class WebhookPatch(Body):
    """Only the fields sent change; ``active`` false pauses the subscription, true resumes it."""

    url: Url | UnsetType = UNSET
    event_types: Patterns | UnsetType = UNSET
    filters: Filters | UnsetType = UNSET
    format: WebhookFormat | UnsetType = UNSET
    active: bool | UnsetType = UNSET


class WebhookOut(Out):
    id: UUID
    url: str
    event_types: list[str]
    filters: list[str]
    format: WebhookFormat
    active: bool
    # Why it is paused (by an admin, or by delivery giving up on a failing endpoint).
    paused_reason: str | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime
    version: int
    # ``operator``: one of the operator's routes (LANA_WEBHOOK_ROUTES), read-only here.
    owner: Literal["tenant", "operator"] = "tenant"

    @classmethod
    def of(cls, subscription: Subscription) -> WebhookOut:
        return cls(
            id=subscription.id,
            # The operator's URL is every tenant's: its credentials are not theirs to see.
            url=shown_url(subscription.url) if subscription.by_operator else subscription.url,
            event_types=list(subscription.event_types),
            filters=list(subscription.filter_texts),
            format=subscription.format,
            active=subscription.active,
            paused_reason=subscription.paused_reason,
            created_by=subscription.created_by,
            created_at=subscription.created_at,
            updated_at=subscription.updated_at,
            version=subscription.version,
            owner="operator" if subscription.by_operator else "tenant",
        )


class WebhookWithSecret(Out):
    """The subscription and its signing secret (Standard Webhooks: ``whsec_`` + base64), shown this once."""

    webhook: WebhookOut
    secret: str

    @classmethod
    def of(cls, subscription: Subscription) -> WebhookWithSecret:
        return cls(webhook=WebhookOut.of(subscription), secret=subscription.secret)


class WebhookPage(Out):
    items: list[WebhookOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[Subscription]) -> WebhookPage:
        return cls(items=[WebhookOut.of(s) for s in page.items], next_cursor=page.next_cursor)


class DeliveryOut(Out):
    id: UUID
    event_id: UUID
    event_type: str
    aggregate_id: UUID
    occurred_at: datetime
    # Enqueue order: an aggregate's deliveries go out in this order.
    sequence: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    pending_since: datetime
    last_attempt_at: datetime | None

    @classmethod
    def of(cls, delivery: Delivery) -> DeliveryOut:
        event = delivery.event
        return cls(
            id=delivery.id,
            event_id=event.id,
            event_type=event.type,
            aggregate_id=event.aggregate_id,
            occurred_at=event.occurred_at,
            sequence=delivery.sequence,
            status=delivery.status,
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            pending_since=delivery.pending_since,
            last_attempt_at=delivery.last_attempt_at,
        )


class DeliveryPage(Out):
    items: list[DeliveryOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[Delivery]) -> DeliveryPage:
        return cls(items=[DeliveryOut.of(d) for d in page.items], next_cursor=page.next_cursor)


class AttemptOut(Out):
    """One try: when, the HTTP status (null when no answer came), latency, its number in
    the delivery's life, up to 1 kB of the answer, and what went wrong."""

    id: UUID
    delivery_id: UUID
    event_id: UUID
    number: int
    at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str | None
    error: str | None

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> AttemptOut:
        return cls(
            id=attempt.id,
            delivery_id=attempt.delivery_id,
            event_id=attempt.event_id,
            number=attempt.number,
            at=attempt.at,
            status_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            response_excerpt=attempt.response_excerpt,
            error=attempt.error,
        )


class AttemptPage(Out):
    items: list[AttemptOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[DeliveryAttempt]) -> AttemptPage:
        return cls(items=[AttemptOut.of(a) for a in page.items], next_cursor=page.next_cursor)


class RedeliverRange(Body):
    """Every delivery whose event occurred at or after ``from`` and before ``to``."""

    since: datetime = msgspec.field(name="from")
    until: datetime = msgspec.field(name="to")


class Redelivered(Out):
    redelivered: int
