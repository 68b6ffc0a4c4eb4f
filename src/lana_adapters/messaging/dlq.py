"""Operating a consumer's dead-letter queue: list, replay, purge (what ``lana dlq`` runs).

Listing takes messages without acknowledging them and gives them back by closing the
channel, so it changes nothing. Replay publishes each message (confirmed) back to the
work queue with its attempt count reset, then removes it from the dead-letter queue.

Replay and purge by id work on a snapshot: they look at no more messages than the queue
held when they began. A consumer running meanwhile may dead-letter a replayed message
again (its route still fails); it joins the back of the queue, and the replay must not
take it a second time, or it would move the same messages round and round for as long
as the consumer keeps up.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any

from attrs import frozen

from lana_adapters.messaging._kombu import OperationalError, Producer, Queue
from lana_adapters.messaging.handling import (
    ATTEMPTS_HEADER,
    DEAD_AT_HEADER,
    DEAD_REASON_HEADER,
    LAST_ERROR_HEADER,
    ROUTING_KEY_HEADER,
)
from lana_adapters.messaging.publisher import PERSISTENT, connect
from lana_adapters.messaging.session import raw_body
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.topology import Topology
from lana_core.errors import NotFound, Unavailable

_DEAD_HEADERS = frozenset({ATTEMPTS_HEADER, LAST_ERROR_HEADER, DEAD_REASON_HEADER, DEAD_AT_HEADER, "x-death"})


@frozen(kw_only=True)
class DeadLetterInfo:
    """One dead-lettered message as ``lana dlq list`` shows it."""

    message_id: str | None
    event_type: str
    reason: str
    attempts: int
    last_error: str | None
    dead_at: str | None


def dlq_list(settings: MessagingSettings, limit: int = 100) -> list[DeadLetterInfo]:
    """Up to ``limit`` dead letters, oldest first; raises NotFound (no such queue) or Unavailable."""
    with _channel(settings) as (channel, queue, _held):
        return [_info(message) for message in _take(channel, queue, limit)]


def dlq_replay(
    settings: MessagingSettings, *, message_ids: Collection[str] | None = None, limit: int | None = None
) -> int:
    """Send dead letters (all, or those with ``message_ids``) back to the work queue; returns how many.

    Only the messages in the queue when the replay began are looked at (see the module's
    docstring). Raises NotFound (no such queue) or Unavailable.
    """
    topology = Topology.of(settings)
    with _channel(settings) as (channel, queue, held):
        producer = Producer(channel)
        taken = _take(channel, queue, held)
        return _each(taken, message_ids, limit, lambda m: _republish(producer, topology.queue, m))


def dlq_purge(settings: MessagingSettings, *, message_ids: Collection[str] | None = None) -> int:
    """Delete dead letters (all, or those with ``message_ids``); returns how many.

    Raises NotFound (no such queue) or Unavailable.
    """
    with _channel(settings) as (channel, queue, held):
        if message_ids is None:
            return int(channel.queue_purge(queue=queue) or 0)
        return _each(_take(channel, queue, held), message_ids, None, lambda _m: None)


@contextmanager
def _channel(settings: MessagingSettings) -> Iterator[tuple[Any, str, int]]:
    """A channel on the broker, the dead-letter queue's name and how many messages it holds."""
    queue = Topology.of(settings).dead_letter_queue
    conn = connect(settings, heartbeat=0)
    errors = (*conn.connection_errors, OperationalError, OSError)
    try:
        conn.ensure_connection(max_retries=settings.publish_max_retries, interval_start=0.2, interval_max=1)
        channel = conn.channel()
        try:
            declared = channel.queue_declare(queue=queue, passive=True)
        except conn.channel_errors as error:
            raise NotFound("queue", queue) from error
        yield channel, queue, int(declared.message_count)
    except errors as error:
        raise Unavailable(f"the broker is unavailable: {error}") from error
    finally:
        conn.release()


def _take(channel: Any, queue: str, limit: int | None) -> Iterator[Any]:
    """Messages from the queue, unacknowledged: what is not acked returns when the channel closes."""
    bound = Queue(queue, no_declare=True)(channel)
    taken = 0
    while limit is None or taken < limit:
        message = bound.get(no_ack=False)
        if message is None:
            return
        taken += 1
        yield message


def _each(
    messages: Iterator[Any], ids: Collection[str] | None, limit: int | None, act: Callable[[Any], None]
) -> int:
    done = 0
    wanted = None if ids is None else set(ids)
    for message in messages:
        if limit is not None and done >= limit:
            break
        if wanted is not None and message.properties.get("message_id") not in wanted:
            continue
        act(message)
        message.ack()
        done += 1
    return done


def _republish(producer: Any, work_queue: str, message: Any) -> None:
    headers = {k: v for k, v in (message.headers or {}).items() if k not in _DEAD_HEADERS}
    producer.publish(
        raw_body(message),
        exchange="",
        routing_key=work_queue,
        mandatory=True,
        delivery_mode=PERSISTENT,
        content_type=message.properties.get("content_type"),
        content_encoding=message.properties.get("content_encoding"),
        headers=headers,
        message_id=message.properties.get("message_id"),
    )


def _info(message: Any) -> DeadLetterInfo:
    headers = message.headers or {}
    last_error = headers.get(LAST_ERROR_HEADER)
    dead_at = headers.get(DEAD_AT_HEADER)
    return DeadLetterInfo(
        message_id=message.properties.get("message_id"),
        event_type=str(headers.get(ROUTING_KEY_HEADER) or headers.get("lana-event-type") or "?"),
        reason=str(headers.get(DEAD_REASON_HEADER, "?")),
        attempts=int(headers.get(ATTEMPTS_HEADER, 0) or 0),
        last_error=None if last_error is None else str(last_error),
        dead_at=None if dead_at is None else str(dead_at),
    )
