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
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from uuid import UUID

from opentelemetry.trace import Span, SpanKind, StatusCode

from lana_adapters.messaging import codec
from lana_adapters.messaging.formats import FORMATS, NotInFormat
from lana_adapters.messaging.webhook import legacy_signature_headers, shown_url
from lana_adapters.messaging.webhook_client import CallFailed, WebhookClient
from lana_adapters.telemetry import context_from, current_trace_context, tracer
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
from lana_core.errors import LanaError, NotFound, Unavailable
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
    return await enqueue_all_matching(units, [(event, body)], now)


async def enqueue_all_matching(
    units: UnitOfWorkFactory, events: Sequence[tuple[DomainEvent, bytes]], now: datetime
) -> int:
    """:func:`enqueue_matching` for each of ``events``, in one unit of work per tenant:
    committed together, or not at all when it raises."""
    by_tenant: dict[UUID, list[tuple[DomainEvent, bytes]]] = {}
    for event, body in events:
        by_tenant.setdefault(event.tenant_id, []).append((event, body))
    added = 0
    for tenant_id, owed in by_tenant.items():
        async with units(tenant_id) as unit:
            subscriptions = await unit.webhooks.list_all()
            for event, body in owed:
                wanted = owed_to(subscriptions, event.type, event.payload)
                if wanted:
                    added += len(await unit.webhooks.enqueue(WebhookEvent.of(event, body), wanted, now))
            await unit.commit()
    return added


class GroupedEnqueue:
    """Owes events as they are consumed, those that arrive together in one transaction (a
    group commit): a call waits while the batch holding its event is written and returns
    once it is committed, so an event is acked only after its deliveries are stored. Calls
    made while a batch is being written form the next one (at most ``batch`` events); no
    call waits for company. When a batch of several events fails, each is owed on its own,
    so that one event's failure is only its own."""

    __slots__ = ("_batch", "_clock", "_pending", "_units", "_writer")

    def __init__(self, units: UnitOfWorkFactory, clock: Clock, *, batch: int = 64) -> None:
        self._units = units
        self._clock = clock
        self._batch = batch
        self._pending: list[_Owed] = []
        self._writer: asyncio.Task[None] | None = None

    async def __call__(self, event: DomainEvent, body: bytes) -> None:
        owed = asyncio.get_running_loop().create_future()
        self._pending.append((event, body, owed))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write())
        await owed

    async def _write(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self._batch], self._pending[self._batch :]
                try:
                    await self._owe(batch)
                except BaseException:
                    # Cancelled (the loop is closing): no caller may wait for a write that will not come.
                    _settle(batch + self._pending, Unavailable("owing events to subscriptions stopped"))
                    self._pending = []
                    raise
        finally:
            self._writer = None

    async def _owe(self, batch: list[_Owed]) -> None:
        try:
            await enqueue_all_matching(
                self._units, [(event, body) for event, body, _ in batch], self._clock.now()
            )
        except (Unavailable, OSError) as down:
            _settle(batch, down)  # the store is down: for every event alike
        except Exception as error:
            if len(batch) == 1:
                _settle(batch, error)
                return
            for one in batch:
                await self._owe([one])
        else:
            _settle(batch, None)


_Owed = tuple[DomainEvent, bytes, "asyncio.Future[None]"]


def _settle(batch: list[_Owed], error: Exception | None) -> None:
    for *_, owed in batch:
        if owed.done():
            continue  # its caller was cancelled
        if error is None:
            owed.set_result(None)
        else:
            owed.set_exception(error)


class SubscriptionSender:
    """Sends due deliveries of every tenant until stopped; see the module's description.

    ``batch`` deliveries are claimed at once, sent concurrently (they are of different
    subscriptions or aggregates) and their attempts recorded together; each is leased for
    ``lease_seconds``, which must exceed the client's timeout, so that a sender killed
    mid-call leaves its deliveries to be claimed again rather than lost.
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
        """Claim a batch of due deliveries, send each once, and record every outcome in one
        transaction (a lease ends with its record, so until then nothing is lost); returns
        how many."""
        claimed = await self._queue.claim(self._batch, self._lease_seconds)
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._send(one) for one in claimed))
        await self._queue.record_many([(after, attempt) for after, attempt in outcomes])
        for one, (after, attempt) in zip(claimed, outcomes, strict=True):
            await self._follow_up(one.subscription, after, attempt)
        return len(claimed)

    async def _send(self, claimed: ClaimedDelivery) -> tuple[Delivery, DeliveryAttempt]:
        """One attempt at ``claimed`` and the delivery after it, not yet recorded."""
        delivery = claimed.delivery
        attempt = await self._attempt(delivery, claimed.subscription)
        retry_at = None
        if not attempt.succeeded:
            # The wait runs from the failure's answer, not the call's start: a slow call must not
            # eat into it.
            retry_at = self._schedule.next_attempt_at(
                first_attempt_at=delivery.pending_since, failed_at=self._clock.now(), retry=attempt.number,
                draw=self._draw,
            )  # fmt: skip
        return delivery.attempted(attempt, retry_at=retry_at), attempt

    async def _attempt(self, delivery: Delivery, subscription: Subscription) -> DeliveryAttempt:
        at = self._clock.now()
        try:
            body = render(subscription, delivery.event)
        except (NotInFormat, codec.PoisonMessage) as refused:
            return DeliveryAttempt.record(delivery, at=at, status_code=None, latency_ms=0, error=str(refused))
        headers = request_headers(subscription, delivery.event, body, int(time.time()))
        began = time.perf_counter()
        client = self._operator_client if subscription.by_operator else self._client
        with _call_span(delivery.event, subscription) as span:
            # The receiver's spans nest under this call, in the trace of the change that made the event.
            headers.update(current_trace_context())
            try:
                answer = await client.call(subscription.url, body, headers, excerpt=MAX_EXCERPT_BYTES)
            except CallFailed as failed:
                latency = (time.perf_counter() - began) * 1000
                span.set_status(StatusCode.ERROR, failed.kind)
                _log_failed(delivery, subscription, failed.kind, latency)
                return DeliveryAttempt.record(
                    delivery, at=at, status_code=None, latency_ms=latency, error=str(failed)
                )
            span.set_attribute("http.response.status_code", answer.status)
            if answer.status >= 400:
                span.set_status(StatusCode.ERROR)
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


def _call_span(event: WebhookEvent, subscription: Subscription) -> AbstractContextManager[Span]:
    """The span of one webhook call: a child of the change that made ``event`` when it
    carries that trace, else the start of a trace of its own."""
    parent = None if event.traceparent is None else context_from({"traceparent": event.traceparent})
    return tracer().start_as_current_span(
        f"POST {event.type}",
        context=parent,
        kind=SpanKind.CLIENT,
        attributes={"http.request.method": "POST", "url.full": shown_url(subscription.url)},
    )


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
