"""The broker objects one consumer owns: its work queue, a retry queue per delay, its dead-letter queue.

::

    lana.events (topic) ──pattern──▶ <queue> ──▶ consumer ──▶ webhook
                                        ▲           │ failed (attempt n)
                                        │           ▼
                   TTL expires, dead-  <queue>.retry.<delay n>ms   (one classic queue per delay)
                   lettered back via   │
                   the default exchange┘
                                                    │ attempts exhausted / poison
                                                    ▼
                                              <queue>.dlq

Each delay has its own queue because per-message TTLs of different lengths in one queue
block each other (a queue only expires messages at its head).
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from lana_adapters.messaging._kombu import Exchange, Queue
from lana_adapters.messaging.settings import MessagingSettings

CLASSIC = {"x-queue-type": "classic"}


@frozen(kw_only=True)
class Topology:
    """Names and declarations of one consumer's queues; declaring is idempotent."""

    exchange: str
    queue: str
    patterns: tuple[str, ...]
    delays_ms: tuple[int, ...]

    @classmethod
    def of(cls, settings: MessagingSettings, patterns: tuple[str, ...] | None = None) -> Topology:
        """The topology for ``settings``; bound to its webhook routes' patterns unless given."""
        if patterns is None:
            patterns = tuple(route.pattern for route in settings.webhook_routes)
        return cls(
            exchange=settings.exchange,
            queue=settings.queue,
            patterns=tuple(dict.fromkeys(patterns)),
            delays_ms=settings.retry_delays_ms,
        )

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.queue}.dlq"

    def retry_queue(self, delay_ms: int) -> str:
        return f"{self.queue}.retry.{delay_ms}ms"

    def delay_for(self, retry: int) -> int:
        """The wait before retry number ``retry`` (1-based); the last delay repeats."""
        return self.delays_ms[min(max(retry, 1), len(self.delays_ms)) - 1]

    @property
    def all_queues(self) -> tuple[str, ...]:
        return (self.queue, *(self.retry_queue(d) for d in self.delays_ms), self.dead_letter_queue)

    def declare(self, channel: Any) -> None:
        """Declare the exchange and every queue with its bindings on ``channel``."""
        exchange = Exchange(self.exchange, type="topic", durable=True)
        exchange(channel).declare()
        Queue(self.queue, durable=True, queue_arguments=CLASSIC)(channel).declare()
        for pattern in self.patterns:
            channel.queue_bind(queue=self.queue, exchange=self.exchange, routing_key=pattern)
        for delay in self.delays_ms:
            Queue(self.retry_queue(delay), durable=True, queue_arguments=self._retry_arguments(delay))(
                channel
            ).declare()
        Queue(self.dead_letter_queue, durable=True, queue_arguments=CLASSIC)(channel).declare()

    def delete(self, channel: Any) -> None:
        """Delete every queue of this consumer (not the shared exchange)."""
        for name in self.all_queues:
            channel.queue_delete(queue=name)

    def _retry_arguments(self, delay_ms: int) -> dict[str, Any]:
        return {
            **CLASSIC,
            "x-message-ttl": delay_ms,
            # Expired messages go back to the work queue through the default exchange.
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": self.queue,
        }
