"""Domain events across server processes: each event is published on its tenant's channel
``lana:events:<tenant>``; every process subscribes to the channels of the tenants its
clients watch (one Redis connection per process) and fans them out locally."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any
from uuid import UUID

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from lana_adapters.events_stream import InMemoryEventStream, Subscription
from lana_adapters.redis.codec import UndecodableValue, ValueCodec
from lana_adapters.redis.connection import REDIS_ERRORS, Circuit, Guard, RedisDown, connect
from lana_adapters.redis.losses import LossLog
from lana_adapters.redis.settings import RedisSettings
from lana_core.domain.events import DomainEvent

log = logging.getLogger(__name__)

SUBSCRIBE_WAIT_SECONDS = 2.0
# Publishing runs in the outbox relay, off any request's path: it may wait longer than a read.
PUBLISH_TIMEOUT_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 2.0


class RedisEventStream:
    """An :class:`~lana_adapters.events_stream.EventStream` over Redis pub/sub.

    ``publish`` is best effort (an outage drops live events, logged, and never fails the
    publisher); ``subscribe`` returns once Redis confirmed the channel, so every event
    published afterwards is seen. After a lost connection the listener reconnects with
    backoff and subscribes again; events published in between are not seen live.
    """

    __slots__ = (
        "_codec",
        "_confirmed",
        "_guard",
        "_listener",
        "_local",
        "_prefix",
        "_pubsub",
        "_redis",
        "_subscribing",
        "_unsent",
    )

    def __init__(self, redis: Redis, settings: RedisSettings, *, queue_size: int = 1_000) -> None:
        self._redis = redis
        timeout = max(settings.timeout_seconds, PUBLISH_TIMEOUT_SECONDS)
        self._guard = Guard(timeout, Circuit(settings.circuit_open_seconds))
        self._prefix = f"{settings.key_prefix}lana:events:"
        self._codec = ValueCodec()
        self._local = InMemoryEventStream(queue_size=queue_size)
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None
        self._confirmed: dict[str, asyncio.Event] = {}
        # redis-py's PubSub opens its connection on first use without a lock: two concurrent
        # first subscribes would open two, and one's confirmation would never be read.
        self._subscribing = asyncio.Lock()
        self._unsent = LossLog(log, "%d live events not streamed")

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """Publish each event on its tenant's channel, in one round trip."""
        if not events:
            return
        try:
            await self._guard.run(lambda: self._publish(events))
        except RedisDown as error:
            self._unsent.lost(len(events), error)
        else:
            self._unsent.recovered()

    @asynccontextmanager
    async def subscribe(self, tenant_id: UUID) -> AsyncIterator[Subscription]:
        """Watch ``tenant_id``'s events, from every process, until the block is left.

        When Redis cannot confirm the channel in time, the subscription still serves this
        process's own events and the listener keeps trying.
        """
        channel = self._channel(tenant_id)
        try:
            async with self._local.subscribe(tenant_id) as watcher:
                if self._local.watched(tenant_id) == 1:
                    await self._join(channel)
                yield watcher
        finally:
            if not self._local.watched(tenant_id):
                await self._leave(channel)

    async def aclose(self) -> None:
        """Stop listening and end every subscription."""
        if self._listener is not None:
            self._listener.cancel()
            with suppress(asyncio.CancelledError):
                await self._listener
        if self._pubsub is not None:
            with suppress(*REDIS_ERRORS):
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        self._local.close()

    async def _publish(self, events: Sequence[DomainEvent]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(self._channel(event.tenant_id), self._codec.encode(event, DomainEvent))
            await pipe.execute()

    async def _join(self, channel: str) -> None:
        confirmed = self._confirmed.setdefault(channel, asyncio.Event())
        self._ensure_listener()
        try:
            await self._subscribe(channel)
            await asyncio.wait_for(confirmed.wait(), SUBSCRIBE_WAIT_SECONDS)
        except REDIS_ERRORS as error:  # TimeoutError among them: not confirmed in time
            log.warning("live events of %s not confirmed yet: %r", channel, error)

    async def _subscribe(self, channel: str) -> None:
        async with self._subscribing:
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub(ignore_subscribe_messages=False)
                await self._pubsub.connect()  # type: ignore[no-untyped-call]
            await self._pubsub.subscribe(channel)

    async def _leave(self, channel: str) -> None:
        self._confirmed.pop(channel, None)
        async with self._subscribing:
            if self._pubsub is not None:
                with suppress(*REDIS_ERRORS):
                    await self._pubsub.unsubscribe(channel)

    def _ensure_listener(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.create_task(self._listen(), name="lana-event-stream")

    async def _listen(self) -> None:
        delay = 0.05
        while True:
            try:
                await self._receive()
                delay = 0.05
            except asyncio.CancelledError:
                raise
            except REDIS_ERRORS as error:
                log.warning("live event listener lost redis, retrying in %.2fs: %r", delay, error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)
                await self._reconnect()

    async def _receive(self) -> None:
        if self._pubsub is None or not self._pubsub.subscribed:
            await asyncio.sleep(0.05)
            return
        message = await self._pubsub.get_message(timeout=1.0)
        if message is not None:
            self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        channel = message["channel"].decode()
        if message["type"] == "subscribe":
            self._confirmed.setdefault(channel, asyncio.Event()).set()
        elif message["type"] == "message":
            try:
                self._local.deliver(self._codec.decode(message["data"], DomainEvent))
            except UndecodableValue as error:
                log.error("unreadable live event on %s: %s", channel, error)

    async def _reconnect(self) -> None:
        channels = [self._channel(tenant) for tenant in self._local.tenants()]
        async with self._subscribing:
            if self._pubsub is not None:
                with suppress(*REDIS_ERRORS):
                    await self._pubsub.aclose()  # type: ignore[no-untyped-call]
            self._pubsub = None
            if channels:
                with suppress(*REDIS_ERRORS):
                    self._pubsub = self._redis.pubsub(ignore_subscribe_messages=False)
                    await self._pubsub.connect()  # type: ignore[no-untyped-call]
                    await self._pubsub.subscribe(*channels)

    def _channel(self, tenant_id: UUID) -> str:
        return f"{self._prefix}{tenant_id}"


@asynccontextmanager
async def redis_event_stream(settings: RedisSettings) -> AsyncIterator[RedisEventStream]:
    """The stream alone on a client of its own, for a process that publishes to it and needs no
    other Redis adapter (``lana relay``); both are closed on exit."""
    client = connect(settings)
    stream = RedisEventStream(client, settings)
    try:
        yield stream
    finally:
        await stream.aclose()
        await client.aclose()
