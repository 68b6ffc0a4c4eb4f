"""One consumer connection to the broker. Every method runs on the worker's kombu thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from lana_adapters.messaging._kombu import Consumer, OperationalError, Producer, Queue
from lana_adapters.messaging.codec import CONTENT_ENCODING, CONTENT_TYPE
from lana_adapters.messaging.handling import (
    ATTEMPTS_HEADER,
    DEAD_AT_HEADER,
    DEAD_REASON_HEADER,
    LAST_ERROR_HEADER,
    ROUTING_KEY_HEADER,
    DeadLetter,
    Incoming,
    Settled,
)
from lana_adapters.messaging.publisher import PERSISTENT, connect
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.topology import Topology

log = logging.getLogger(__name__)
# Headers the broker adds when it dead-letters; a copy we publish starts without them.
_BROKER_HEADERS = ("x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason")
_MAX_ERROR = 500


class CopyNotRouted(Exception):
    """A dead-letter copy found no queue (deleted under us): keep the original unacked."""


class Session:
    """Consume, settle and heartbeat on one connection; a broken connection raises one of ``errors``."""

    def __init__(self, settings: MessagingSettings, topology: Topology) -> None:
        self._settings = settings
        self._topology = topology
        self._conn = connect(settings)
        self.errors: tuple[type[BaseException], ...] = (
            *self._conn.connection_errors,
            *self._conn.channel_errors,
            OperationalError,
            OSError,
        )
        self._received: list[Incoming] = []
        self._returned: list[str] = []
        self._consumer: Any = None
        self._producer: Any = None

    def open(self) -> None:
        """Connect, declare the topology and start consuming with ``prefetch`` unacked at most."""
        self._conn.ensure_connection(max_retries=1, interval_start=0.1, interval_max=0.5)
        channel = self._topology.declare(self._conn)
        channel.basic_qos(0, self._settings.prefetch, False)
        queue = Queue(self._topology.queue, no_declare=True)
        self._consumer = Consumer(channel, queues=[queue], on_message=self._on_message, no_ack=False)
        self._consumer.consume()
        self._producer = Producer(self._conn.channel(), on_return=self._on_return)

    def poll(self, seconds: float) -> list[Incoming]:
        """Messages that arrived within ``seconds`` (fewer once the flow pauses); sends heartbeats."""
        deadline = time.monotonic() + seconds
        while len(self._received) < self._settings.prefetch:
            # Once something arrived, take only what is already there.
            remaining = 0.001 if self._received else deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                self._conn.drain_events(timeout=remaining)
            except TimeoutError:
                break
        self._conn.heartbeat_check()
        # Deliveries may also arrive while a settle waits for a confirm: they wait here too.
        received, self._received = self._received, []
        return received

    def settle_and_poll(
        self, settlements: Sequence[tuple[Incoming, Settled]], seconds: float
    ) -> tuple[list[BaseException | None], list[Incoming]]:
        """Settle a batch (one hop to this thread for many messages), then :meth:`poll`.

        Each settlement's failure is returned in its place: that message stays unacknowledged
        and the broker redelivers it. A broken connection raises from the poll.
        """
        failures: list[BaseException | None] = []
        for incoming, settlement in settlements:
            try:
                self.settle(incoming, settlement)
            except Exception as error:  # reported in its place, see above
                failures.append(error)
            else:
                failures.append(None)
        return failures, self.poll(seconds)

    def settle(self, incoming: Incoming, settlement: Settled) -> None:
        """Ack, or publish the dead-letter copy (confirmed) and then ack."""
        if isinstance(settlement, DeadLetter):
            self._copy(incoming, self._topology.dead_letter_queue, _dead_headers(incoming, settlement))
        incoming.token.ack()

    def cancel(self) -> None:
        if self._consumer is not None:
            self._consumer.cancel()

    def close(self) -> None:
        try:
            self._conn.release()
        except Exception as error:  # already broken: nothing left to close cleanly
            log.debug("closing a broken consumer connection: %r", error)

    def _on_message(self, message: Any) -> None:
        headers = dict(message.headers or {})
        try:
            attempts = max(0, int(headers.get(ATTEMPTS_HEADER, 0)))
        except (TypeError, ValueError):
            attempts = 0
        self._received.append(
            Incoming(
                body=raw_body(message),
                headers=headers,
                message_id=message.properties.get("message_id"),
                routing_key=str(
                    headers.get(ROUTING_KEY_HEADER) or message.delivery_info.get("routing_key", "")
                ),
                attempts=attempts,
                token=message,
            )
        )

    def _copy(self, incoming: Incoming, queue: str, extra: dict[str, Any]) -> None:
        headers = {k: v for k, v in incoming.headers.items() if k not in _BROKER_HEADERS}
        headers.update(extra)
        headers.setdefault(ROUTING_KEY_HEADER, incoming.routing_key)
        properties = incoming.token.properties
        self._returned.clear()
        self._producer.publish(
            incoming.body,
            exchange="",
            routing_key=queue,
            mandatory=True,
            delivery_mode=PERSISTENT,
            content_type=properties.get("content_type") or CONTENT_TYPE,
            content_encoding=properties.get("content_encoding") or CONTENT_ENCODING,
            headers=headers,
            message_id=incoming.message_id,
            confirm_timeout=self._settings.confirm_timeout_seconds,
        )
        if self._returned:
            raise CopyNotRouted(f"no queue {queue}: {self._returned[-1]}")

    def _on_return(self, error: Exception, _exchange: str, routing_key: str, _message: Any) -> None:
        self._returned.append(f"{error} ({routing_key})")


def _dead_headers(incoming: Incoming, dead: DeadLetter) -> dict[str, Any]:
    headers: dict[str, Any] = {
        DEAD_REASON_HEADER: _cut(dead.reason),
        DEAD_AT_HEADER: datetime.now(UTC).isoformat(),
        ATTEMPTS_HEADER: dead.attempts,
    }
    if dead.last_error is not None:
        headers[LAST_ERROR_HEADER] = _cut(dead.last_error)
    return headers


def raw_body(message: Any) -> bytes:
    """The body as sent: py-amqp hands a body with a text content encoding over decoded."""
    body = message.body
    if isinstance(body, str):
        return body.encode(message.properties.get("content_encoding") or CONTENT_ENCODING)
    return bytes(body)


def _cut(text: str) -> str:
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"
