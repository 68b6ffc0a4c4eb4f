"""Delivering events to tenants' webhook subscriptions: owe each event to the subscriptions
that want it, then send what is due, signed, retry what failed, and pause what keeps failing.

:func:`enqueue_matching` runs once per consumed event: it records a delivery for each
subscription of the event's tenant whose patterns and filters the event meets (at most one
per subscription and event, however often the event is consumed). :class:`SubscriptionSender`
claims due deliveries (the earliest open one per subscription and aggregate, so each
aggregate's events arrive in order), POSTs each through the SSRF-guarded client with the
Standard Webhooks headers, records the attempt (status, latency, the answer's first bytes,
what went wrong) and schedules the retry (:class:`~lana_core.domain.webhook_retries.RetrySchedule`)
or, once a day has passed since it became pending, marks it dead.

A subscription is paused when ``dead_to_pause`` of its deliveries die one after another with
no success between (each dead delivery means a day of failed attempts), or at once when the
receiver answers 410 Gone, as the operator (:func:`pausing_through`): audited, and a
``webhook.subscription.paused`` event says so. Pausing holds its
deliveries back; resuming sends them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import UUID

from lana_adapters.messaging import codec
from lana_adapters.messaging.formats import FORMATS, NotInFormat
from lana_adapters.messaging.webhook import legacy_signature_headers, shown_url
from lana_adapters.messaging.webhook_client import CallFailed, WebhookClient
from lana_core.domain import webhook_signing
from lana_core.domain.events import DomainEvent
from lana_core.domain.tenancy import Operator
from lana_core.domain.webhook_retries import Draw, RetrySchedule
from lana_core.domain.webhooks import (
    MAX_EXCERPT_BYTES,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Subscription,
    WebhookEvent,
    owed_to,
)
from lana_core.errors import LanaError, NotFound
from lana_core.ports import ClaimedDelivery, Clock, UnitOfWorkFactory, WebhookDeliveryQueue
from lana_core.usecases._base import Kernel
from lana_core.usecases.webhooks import PauseWebhookHandler

log = logging.getLogger(__name__)

GONE = 410
# (tenant, subscription, reason): pause a subscription and say so.
Pause = Callable[[UUID, UUID, str], Awaitable[None]]
DEFAULT_DEAD_TO_PAUSE = 3


async def enqueue_matching(units: UnitOfWorkFactory, event: DomainEvent, body: bytes, now: datetime) -> int:
    """Owe ``event`` (published as ``body``) to every subscription of its tenant that wants
    it, paused ones included (pausing holds deliveries back, it does not drop events), and
    to the first of the operator's that does. Returns how many deliveries are new: none
    when the event was enqueued before."""
    async with units(event.tenant_id) as unit:
        wanted = owed_to(await unit.webhooks.list_all(), event.type, event.payload)
        if not wanted:
            return 0
        added = await unit.webhooks.enqueue(WebhookEvent.of(event, body), wanted, now)
        await unit.commit()
    return len(added)


class SubscriptionSender:
    """Sends due deliveries of every tenant until stopped; see the module's description.

    ``batch`` deliveries are claimed at once and sent concurrently (they are of different
    subscriptions or aggregates); each is leased for ``lease_seconds``, which must exceed
    the client's timeout, so that a sender killed mid-call leaves its deliveries to be
    claimed again rather than lost.
    """

    def __init__(
        self,
        queue: WebhookDeliveryQueue,
        client: WebhookClient,
        clock: Clock,
        *,
        pause: Pause,
        schedule: RetrySchedule | None = None,
        draw: Draw = random.random,
        batch: int = 64,
        lease_seconds: float = 60.0,
        idle_seconds: float = 0.2,
        dead_to_pause: int = DEFAULT_DEAD_TO_PAUSE,
        operator_client: WebhookClient | None = None,
    ) -> None:
        self._queue = queue
        self._client = client
        # The operator's routes often name a workflow engine on the private network: the
        # guard against addresses tenants choose does not apply to them.
        self._operator_client = operator_client or client
        self._clock = clock
        self._pause_subscription = pause
        self._schedule = schedule or RetrySchedule()
        self._draw = draw
        self._batch = batch
        self._lease_seconds = lease_seconds
        self._idle_seconds = idle_seconds
        self._dead_to_pause = dead_to_pause
        # Dead deliveries in a row per subscription; a restart forgets them, which only
        # postpones a pause.
        self._dead_in_a_row: dict[UUID, int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Send until ``stop`` is set; waits ``idle_seconds`` whenever nothing is due."""
        while not stop.is_set():
            try:
                sent = await self.send_due()
            except Exception:
                # The store is down, or one delivery could not be recorded: the sender goes on,
                # and what it had claimed is claimed again once its lease ends.
                log.exception("sending webhook deliveries failed; trying again")
                sent = 0
            if sent == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._idle_seconds)

    async def send_due(self) -> int:
        """Claim a batch of due deliveries and send each once; returns how many."""
        claimed = await self._queue.claim(self._batch, self._lease_seconds)
        await asyncio.gather(*(self._send(one) for one in claimed))
        return len(claimed)

    async def _send(self, claimed: ClaimedDelivery) -> None:
        delivery, subscription = claimed.delivery, claimed.subscription
        attempt = await self._attempt(delivery, subscription)
        retry_at = None
        if not attempt.succeeded:
            retry_at = self._schedule.next_attempt_at(
                first_attempt_at=delivery.pending_since, failed_at=attempt.at, retry=attempt.number,
                draw=self._draw,
            )  # fmt: skip
        after = delivery.attempted(attempt, retry_at=retry_at)
        await self._queue.record(after, attempt)
        await self._follow_up(subscription, after, attempt)

    async def _attempt(self, delivery: Delivery, subscription: Subscription) -> DeliveryAttempt:
        at = self._clock.now()
        try:
            body = render(subscription, delivery.event)
        except (NotInFormat, codec.PoisonMessage) as refused:
            return DeliveryAttempt.record(delivery, at=at, status_code=None, latency_ms=0, error=str(refused))
        headers = request_headers(subscription, delivery.event, body, int(time.time()))
        began = time.perf_counter()
        try:
            client = self._operator_client if subscription.by_operator else self._client
            answer = await client.call(subscription.url, body, headers, excerpt=MAX_EXCERPT_BYTES)
        except CallFailed as failed:
            latency = (time.perf_counter() - began) * 1000
            _log_failed(delivery, subscription, failed.kind, latency)
            return DeliveryAttempt.record(
                delivery, at=at, status_code=None, latency_ms=latency, error=str(failed)
            )
        latency = (time.perf_counter() - began) * 1000
        error = None if 200 <= answer.status < 300 else f"HTTP {answer.status}"
        if error is not None:
            _log_failed(delivery, subscription, str(answer.status), latency)
        return DeliveryAttempt.record(
            delivery, at=at, status_code=answer.status, latency_ms=latency, response=answer.excerpt,
            error=error,
        )  # fmt: skip

    async def _follow_up(self, subscription: Subscription, after: Delivery, attempt: DeliveryAttempt) -> None:
        if after.status is DeliveryStatus.SUCCEEDED:
            self._dead_in_a_row.pop(subscription.id, None)
            return
        if attempt.status_code == GONE:
            await self._pause(subscription, f"the receiver answered 410 Gone to delivery {after.id}")
            return
        if after.status is not DeliveryStatus.DEAD:
            return
        dead = self._dead_in_a_row.get(subscription.id, 0) + 1
        self._dead_in_a_row[subscription.id] = dead
        if dead >= self._dead_to_pause:
            await self._pause(
                subscription, f"{dead} deliveries in a row failed for a day each (last: {after.id})"
            )

    async def _pause(self, subscription: Subscription, reason: str) -> None:
        try:
            await self._pause_subscription(subscription.tenant_id, subscription.id, reason)
        except NotFound:
            return  # deleted meanwhile: nothing to pause
        except LanaError as error:
            # Changed meanwhile, or the store is down: the next dead delivery tries again.
            log.warning("pausing webhook subscription %s failed: %s", subscription.id, error)
            return
        self._dead_in_a_row.pop(subscription.id, None)
        log.error(
            "webhook subscription %s -> %s paused: %s", subscription.id, shown_url(subscription.url), reason
        )


def pausing_through(kernel: Kernel) -> Pause:
    """Pauses as the operator through the use case, which audits it and publishes
    ``webhook.subscription.paused`` (without an actor)."""
    handler = PauseWebhookHandler(kernel)

    async def pause(tenant_id: UUID, subscription_id: UUID, reason: str) -> None:
        await handler(Operator(tenant_id), subscription_id, reason)

    return pause


def render(subscription: Subscription, event: WebhookEvent) -> bytes:
    """The body sent for ``event`` in the subscription's format; raises NotInFormat (or
    PoisonMessage for an envelope that cannot be read, which a published event never is)."""
    if subscription.format.value == "lana":
        return event.body  # the envelope as published, byte for byte
    return FORMATS[subscription.format.value](codec.decode_body(event.body), event.body)


def request_headers(
    subscription: Subscription, event: WebhookEvent, body: bytes, timestamp: int
) -> dict[str, str]:
    """The headers of one attempt: Standard Webhooks' three, signed with the subscription's
    secret, and the event's type and id. An operator's subscription is signed as its routes
    always were: also with ``X-Lana-Signature``, and not at all without a secret."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "lana-webhooks/1",
        # The excerpt of the answer is kept as received: ask for it uncompressed.
        "Accept-Encoding": "identity",
        "Idempotency-Key": str(event.id),
        "X-Lana-Event-Type": event.type,
        "X-Lana-Event-Id": str(event.id),
        webhook_signing.ID_HEADER: str(event.id),
        webhook_signing.TIMESTAMP_HEADER: str(timestamp),
    }
    if subscription.secret:
        headers.update(webhook_signing.signature_headers(subscription.secret, str(event.id), timestamp, body))
    if subscription.by_operator and subscription.secret:
        headers.update(legacy_signature_headers(subscription.secret, timestamp, body))
    return headers


def _log_failed(delivery: Delivery, subscription: Subscription, outcome: str, latency_ms: float) -> None:
    log.warning(
        "webhook delivery failed: event=%s type=%s subscription=%s url=%s outcome=%s"
        " latency_ms=%.0f attempt=%d",
        delivery.event_id, delivery.event.type, subscription.id, shown_url(subscription.url), outcome,
        latency_ms, delivery.attempts + 1,
    )  # fmt: skip
