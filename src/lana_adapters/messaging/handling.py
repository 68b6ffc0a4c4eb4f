"""What a consumer does with one message: decode it, ask the inbox, deliver, and decide its fate."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final, Protocol

from attrs import frozen
from opentelemetry.trace import SpanKind

from lana_adapters.messaging.codec import PoisonMessage, decode
from lana_adapters.messaging.inbox import Inbox, Verdict
from lana_adapters.telemetry import context_from, tracer
from lana_core.domain.events import DomainEvent
from lana_core.errors import Unavailable
from lana_core.ports import Clock

log = logging.getLogger(__name__)

ATTEMPTS_HEADER: Final = "x-lana-attempts"
LAST_ERROR_HEADER: Final = "x-lana-last-error"
DEAD_REASON_HEADER: Final = "x-lana-dead-reason"
DEAD_AT_HEADER: Final = "x-lana-dead-at"
ROUTING_KEY_HEADER: Final = "x-lana-routing-key"


@frozen(kw_only=True)
class Incoming:
    """One received message, as the worker hands it over; ``attempts`` counts failed deliveries."""

    body: bytes
    headers: Mapping[str, Any]
    message_id: str | None
    routing_key: str
    attempts: int
    token: Any  # the transport's message, for settling it


class Transient(Exception):
    """Delivery failed but may succeed later (timeout, refused connection, 5xx)."""


class Permanent(Exception):
    """Delivery can never succeed as things are (the endpoint is gone)."""


class Deliver(Protocol):
    async def __call__(self, event: DomainEvent, body: bytes) -> None:
        """Apply one event; raises Transient or Permanent when it did not."""
        ...


@frozen
class Ack:
    """Done: delivered now, or earlier (``duplicate``)."""

    duplicate: bool = False


@frozen
class Retry:
    """Deliver again after ``delay_ms``, before any later event of its aggregate; ``attempts``
    failures so far."""

    reason: str
    attempts: int
    delay_ms: int


@frozen
class DeadLetter:
    """Give up: keep the message in the dead-letter queue with ``reason``."""

    reason: str
    attempts: int
    last_error: str | None = None


# What ends a message's stay in the consumer; a Retry keeps it there.
Settled = Ack | DeadLetter
Settlement = Ack | Retry | DeadLetter


class Handling:
    """The consumer's rules for one message.

    Poison (unparseable, unknown type, missing headers) goes to the dead-letter queue at
    once; a duplicate is acknowledged without effect; a failed delivery is retried after
    the delay of its attempt until ``max_attempts``, then dead-lettered with its last
    error. An event is recorded in the inbox only after it was delivered.
    """

    def __init__(
        self,
        *,
        consumer: str,
        inbox: Inbox,
        deliver: Deliver,
        delays_ms: tuple[int, ...],
        max_attempts: int,
        clock: Clock,
    ) -> None:
        self._consumer = consumer
        self._inbox = inbox
        self._deliver = deliver
        self._delays_ms = delays_ms
        self._max_attempts = max_attempts
        self._clock = clock

    async def __call__(self, incoming: Incoming) -> Settlement:
        with tracer().start_as_current_span(
            f"consume {incoming.routing_key}",
            context=context_from(incoming.headers),
            kind=SpanKind.CONSUMER,
            attributes={"messaging.consumer.group.name": self._consumer, "lana.attempts": incoming.attempts},
        ) as span:
            settlement = await self._handle(incoming)
            span.set_attribute("lana.settlement", type(settlement).__name__)
            return settlement

    async def _handle(self, incoming: Incoming) -> Settlement:
        try:
            event = decode(incoming.body, incoming.headers)
        except PoisonMessage as poison:
            log.error("poison message %s: %s", incoming.message_id, poison.reason)
            return DeadLetter(f"poison: {poison.reason}", incoming.attempts)
        try:
            verdict = await self._inbox.verdict(self._consumer, event)
        except Unavailable as error:
            return self._failed(incoming, f"inbox unavailable: {error}")
        if verdict is Verdict.DUPLICATE:
            return Ack(duplicate=True)
        return await self._deliver_new(incoming, event)

    async def _deliver_new(self, incoming: Incoming, event: DomainEvent) -> Settlement:
        try:
            await self._deliver(event, incoming.body)
        except Permanent as error:
            return DeadLetter(str(error), incoming.attempts + 1, str(error))
        except Transient as error:
            return self._failed(incoming, str(error))
        try:
            await self._inbox.record(self._consumer, event, self._clock.now())
        except Unavailable as error:
            # The effect happened: acknowledge; a later copy is delivered again, keyed by the event id.
            log.warning("delivered %s but could not record it: %s", event.id, error)
        return Ack()

    def _failed(self, incoming: Incoming, reason: str) -> Settlement:
        attempts = incoming.attempts + 1
        if attempts >= self._max_attempts:
            return DeadLetter(f"gave up after {attempts} attempts", attempts, reason)
        delay = self._delays_ms[min(attempts, len(self._delays_ms)) - 1]
        return Retry(reason, attempts, delay)
