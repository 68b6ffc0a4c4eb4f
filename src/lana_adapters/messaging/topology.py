"""The broker objects one consumer owns: its work queue and its dead-letter queue.

::

    lana.events (topic) ──#──▶ <queue> ──▶ consumer ──▶ webhook subscriptions' deliveries
                                                    │ attempts exhausted, poison
                                                    ▼
                                              <queue>.dlq

A failed delivery is retried by the consumer itself, holding back only its aggregate's
later events (see :mod:`~lana_adapters.messaging.worker`), so nothing waits in the broker
between attempts. The work queue admits a single active consumer: a second consumer
process waits as a stand-by instead of taking some of an aggregate's events, which would
let them overtake each other. The relay declares the same objects as the consumer, so a
consumer not yet started (or down) is a backlog in its queue, never a lost event.
"""

from __future__ import annotations

import logging
from typing import Any

from attrs import frozen

from lana_adapters.messaging._kombu import Exchange, Queue
from lana_adapters.messaging.settings import MessagingSettings

log = logging.getLogger(__name__)

CLASSIC = {"x-queue-type": "classic"}
WORK_QUEUE = {**CLASSIC, "x-single-active-consumer": True}
# AMQP's reply code when a queue exists with other arguments.
_PRECONDITION_FAILED = 406


@frozen(kw_only=True)
class Topology:
    """Names and declarations of one consumer's queues; declaring is idempotent."""

    exchange: str
    queue: str
    patterns: tuple[str, ...]

    @classmethod
    def of(cls, settings: MessagingSettings, patterns: tuple[str, ...] | None = None) -> Topology:
        """The topology for ``settings``; bound to every event (any may be wanted by a
        tenant's subscription) unless ``patterns`` are given."""
        if patterns is None:
            patterns = ("#",)
        return cls(exchange=settings.exchange, queue=settings.queue, patterns=tuple(dict.fromkeys(patterns)))

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dlq"

    @property
    def all_queues(self) -> tuple[str, ...]:
        return (self.queue, self.dead_letter_queue)

    def declare(self, connection: Any) -> Any:
        """Declare the exchange and both queues with the bindings on a new channel of
        ``connection``; returns a channel to go on with."""
        channel = connection.channel()
        Exchange(self.exchange, type="topic", durable=True)(channel).declare()
        channel = self._declare_work_queue(connection, channel)
        for pattern in self.patterns:
            channel.queue_bind(queue=self.queue, exchange=self.exchange, routing_key=pattern)
        Queue(self.dead_letter_queue, durable=True, queue_arguments=CLASSIC)(channel).declare()
        return channel

    def delete(self, channel: Any) -> None:
        """Delete every queue of this consumer (not the shared exchange)."""
        for name in self.all_queues:
            channel.queue_delete(queue=name)

    def _declare_work_queue(self, connection: Any, channel: Any) -> Any:
        try:
            Queue(self.queue, durable=True, queue_arguments=WORK_QUEUE)(channel).declare()
        except connection.channel_errors as error:
            if getattr(error, "code", None) != _PRECONDITION_FAILED:
                raise
            # Declared by an earlier release without a single active consumer: it works as
            # it is while one consumer runs (the broker closed the channel: take another).
            log.warning(
                "queue %s was declared without x-single-active-consumer: run one consumer on it, "
                "or delete it once drained so that it is declared again",
                self.queue,
            )
            channel = connection.channel()
            channel.queue_declare(queue=self.queue, passive=True)
        return channel
