"""Domain events to a RabbitMQ topic exchange through kombu, confirmed a window at a time.

kombu is synchronous and its connections are not thread-safe, so every broker call runs
on one dedicated thread; the asyncio side only hands work to it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from uuid import UUID

from opentelemetry.trace import SpanKind

from lana_adapters.messaging._kombu import Connection, Exchange, MessageNacked, OperationalError, Producer
from lana_adapters.messaging.codec import CONTENT_ENCODING, CONTENT_TYPE, encode
from lana_adapters.messaging.confirms import ConfirmTracker, await_confirms, windows
from lana_adapters.messaging.outcome import BatchOutcome, Recorder
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.topology import Topology
from lana_adapters.telemetry import context_from, current_trace_context, tracer
from lana_core.domain.events import DomainEvent
from lana_core.errors import Unavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
PERSISTENT = 2


class PublishRefused(Unavailable):
    """The broker refused events (nacked); they were not delivered."""


def connect(settings: MessagingSettings, *, heartbeat: float | None = None, confirm_each: bool = True) -> Any:
    """A kombu connection, by default waiting for the confirm of each publish on every channel;
    nothing is opened yet."""
    return Connection(
        settings.broker_url,
        heartbeat=settings.heartbeat_seconds if heartbeat is None else heartbeat,
        connect_timeout=settings.connect_timeout_seconds,
        transport_options={"confirm_publish": confirm_each},
    )


def events_exchange(settings: MessagingSettings) -> Any:
    return Exchange(settings.exchange, type="topic", durable=True)


class KombuEventPublisher:
    """An :class:`~lana_core.ports.EventPublisher` (and batch publisher) on a topic exchange.

    Each event is published persistent with its type as routing key and its id as
    ``message_id`` and counts as published only once the broker confirmed it; a nacked one
    is refused. An event no queue is bound for is published to nobody, which is no
    failure: every queue of ``topologies`` (the subscribers this process knows of) is
    declared with its bindings before the first publish, so a subscriber that is down
    finds its events waiting in its queue. On RabbitMQ a window of
    events (one per aggregate at most, see :mod:`~lana_adapters.messaging.confirms`) is
    published before their confirms are awaited together; other transports confirm one by
    one. Connection failures are retried ``publish_max_retries`` times; a retried publish
    may duplicate a message whose confirm was lost, which consumers absorb by id.
    """

    __slots__ = (
        "_conn",
        "_error_types",
        "_exchange",
        "_loop_thread",
        "_pipelined",
        "_producer",
        "_publish",
        "_settings",
        "_topologies",
        "_tracker",
    )

    def __init__(self, settings: MessagingSettings, topologies: Sequence[Topology] = ()) -> None:
        self._settings = settings
        self._topologies = tuple(topologies)
        self._exchange = events_exchange(settings)
        self._loop_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lana-publisher")
        self._conn: Any = None
        self._producer: Any = None
        self._publish: Callable[..., Any] | None = None
        self._tracker: ConfirmTracker | None = None
        probe = connect(settings)
        self._error_types = (*probe.connection_errors, *probe.channel_errors, OperationalError, OSError)
        self._pipelined = probe.transport.driver_type == "amqp"

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """Publish and confirm every event; raises PublishRefused or Unavailable otherwise."""
        outcome = await self.publish_batch(events, lambda: False)
        if outcome.failed:
            reasons = "; ".join(reason for _, reason in outcome.failed)
            raise PublishRefused(f"{len(outcome.failed)} event(s) refused by the broker: {reasons}")
        if outcome.broken is not None:
            raise Unavailable(f"the broker is unavailable: {outcome.broken}")

    async def publish_batch(self, events: Sequence[DomainEvent], stop: Callable[[], bool]) -> BatchOutcome:
        """Publish in order, each confirmed before the next; see :class:`BatchOutcome`."""
        return await self._run(self._publish_all, list(events), stop)

    async def tick(self) -> None:
        """Keep an idle connection alive (AMQP heartbeats); a lost one reconnects on next publish."""
        await self._run(self._heartbeat)

    async def declare(self) -> None:
        """Declare the exchange; raises Unavailable when the broker cannot be reached."""

        def declare() -> None:
            try:
                self._ready_window() if self._pipelined else self._ready()
            except self._errors() as error:
                self._drop()
                raise Unavailable(f"the broker is unavailable: {error}") from error

        await self._run(declare)

    async def close(self) -> None:
        await self._run(self._drop)
        self._loop_thread.shutdown(wait=True)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._loop_thread, fn, *args)

    def _publish_all(self, events: list[DomainEvent], stop: Callable[[], bool]) -> BatchOutcome:
        if self._pipelined:
            return self._publish_windows(events, stop)
        recorder = Recorder()
        for event in events:
            if not recorder.may_send(event, stop):
                continue
            try:
                self._publish_one(event)
            except (TypeError, ValueError) as error:
                recorder.refused(event, f"cannot encode: {error}")
            except self._errors() as error:
                self._drop()
                if _nacked(error):
                    recorder.refused(event, "nacked by the broker")
                else:
                    log.warning("broker failed while publishing: %r", error)
                    recorder.broke(event, f"{type(error).__name__}: {error}")
            else:
                recorder.sent(event)
        return recorder.outcome()

    def _publish_windows(self, events: list[DomainEvent], stop: Callable[[], bool]) -> BatchOutcome:
        recorder = Recorder()
        for window in windows(events):
            ready = [event for event in window if recorder.may_send(event, stop)]
            if ready:
                self._publish_window(ready, recorder)
        return recorder.outcome()

    def _publish_window(self, events: list[DomainEvent], recorder: Recorder) -> None:
        """Publish ``events`` and settle each in ``recorder``; a failed connection is retried
        with the whole window (a message confirmed before the failure goes twice)."""
        failure: BaseException | None = None
        for _attempt in range(self._settings.publish_max_retries + 1):
            try:
                answers = self._confirm_window(events)
            except self._errors() as error:
                self._drop()
                failure = error
                log.warning("broker failed while publishing: %r", error)
                continue
            for event in events:
                reason = answers[event.id]
                if reason is None:
                    recorder.sent(event)
                else:
                    recorder.refused(event, reason)
            return
        recorder.broke(events[0], f"{type(failure).__name__}: {failure}")
        for event in events[1:]:
            recorder.may_send(event, lambda: True)  # recorded as unsent

    def _confirm_window(self, events: list[DomainEvent]) -> dict[UUID, str | None]:
        """Each event's answer from the broker: None when confirmed, else why it was refused."""
        producer, tracker = self._ready_window()
        sent: list[tuple[DomainEvent, int]] = []
        answers: dict[UUID, str | None] = {}
        for event in events:
            try:
                self._publish_one(event, producer.publish, wait=False)
            except (TypeError, ValueError) as error:
                answers[event.id] = f"cannot encode: {error}"
                continue
            sent.append((event, tracker.sent()))
        tags = [tag for _, tag in sent]
        conn = self._conn
        await_confirms(
            lambda seconds: conn.drain_events(timeout=seconds),
            tracker,
            tags,
            self._settings.confirm_timeout_seconds,
        )
        for event, tag in sent:
            answers[event.id] = tracker.answers.get(tag)
        tracker.forget(tags)
        return answers

    def _publish_one(
        self, event: DomainEvent, publish: Callable[..., Any] | None = None, *, wait: bool = True
    ) -> None:
        # The span continues the trace of the request that recorded the event; the message
        # then carries the span's own context, so consuming it nests under the publish.
        # An event recorded outside any trace travels without one, exactly as it was stored.
        with tracer().start_as_current_span(
            f"publish {event.type}",
            context=context_from(event.trace_context),
            kind=SpanKind.PRODUCER,
            attributes={"messaging.system": "rabbitmq", "messaging.message.id": str(event.id)},
        ):
            self._send(event, publish or self._ready(), wait=wait)

    def _send(self, event: DomainEvent, publish: Callable[..., Any], *, wait: bool) -> None:
        encoded = encode(event)
        headers = {**encoded.headers, **current_trace_context()} if event.trace_context else encoded.headers
        confirm = {"confirm_timeout": self._settings.confirm_timeout_seconds} if wait else {}
        publish(
            encoded.body,
            routing_key=encoded.routing_key,
            exchange=self._exchange,
            delivery_mode=PERSISTENT,
            content_type=CONTENT_TYPE,
            content_encoding=CONTENT_ENCODING,
            headers=headers,
            message_id=encoded.message_id,
            type=event.type,
            **confirm,
        )

    def _ready_window(self) -> tuple[Any, ConfirmTracker]:
        """The producer on a confirm-mode channel, and the tracker of its confirms."""
        if self._tracker is not None:
            return self._producer, self._tracker
        conn = self._conn = self._conn or connect(self._settings, confirm_each=False)
        conn.ensure_connection(
            max_retries=self._settings.publish_max_retries, interval_start=0.2, interval_max=2
        )
        channel = self._declared_channel(conn)
        tracker = ConfirmTracker(channel)
        self._producer = Producer(channel, exchange=self._exchange)
        self._tracker = tracker
        return self._producer, tracker

    def _ready(self) -> Callable[..., Any]:
        if self._publish is not None:
            return self._publish
        conn = self._conn = self._conn or connect(self._settings)
        conn.ensure_connection(
            max_retries=self._settings.publish_max_retries, interval_start=0.2, interval_max=2
        )
        channel = self._declared_channel(conn)
        self._producer = Producer(channel, exchange=self._exchange)
        self._publish = conn.ensure(
            self._producer,
            self._producer.publish,
            max_retries=self._settings.publish_max_retries,
            interval_start=0.2,
            interval_step=0.5,
            interval_max=2,
        )
        return self._publish

    def _declared_channel(self, conn: Any) -> Any:
        """A channel to publish on, once the exchange and the subscribers' queues exist."""
        for topology in self._topologies:
            topology.declare(conn).close()
        channel = conn.channel()
        self._exchange(channel).declare()
        return channel

    def _heartbeat(self) -> None:
        if self._conn is None or not self._conn.connected:
            return
        try:
            self._conn.heartbeat_check()
        except self._errors():
            self._drop()

    def _errors(self) -> tuple[type[BaseException], ...]:
        return self._error_types

    def _drop(self) -> None:
        conn, self._conn, self._producer, self._publish = self._conn, None, None, None
        self._tracker = None
        if conn is not None:
            try:
                conn.release()
            except Exception as error:  # already broken: nothing left to close cleanly
                log.debug("closing a broken broker connection: %r", error)


def _nacked(error: BaseException | None) -> bool:
    """Whether ``error`` is a nack, maybe wrapped by kombu after its retries ran out."""
    while error is not None:
        if isinstance(error, MessageNacked):
            return True
        error = error.__cause__ or error.__context__
    return False
