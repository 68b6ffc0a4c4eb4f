"""The long-running processes behind ``lana relay`` and ``lana consume``, built from settings.

Each runs until its stop event is set (``run_until_signalled`` sets it on SIGTERM or
SIGINT) and returns its counters.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from attrs import evolve
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.messaging.consumer import WebhookConsumer
from lana_adapters.messaging.health import HeartbeatFile
from lana_adapters.messaging.inbox import Inbox, SqlInbox
from lana_adapters.messaging.lifecycle import stop_on_signals
from lana_adapters.messaging.outcome import BatchPublisher
from lana_adapters.messaging.publisher import KombuEventPublisher
from lana_adapters.messaging.relay import OutboxRelay, RelayOptions, RelayStats
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.subscription_delivery import SubscriptionSender, pausing_through
from lana_adapters.messaging.topology import Topology
from lana_adapters.messaging.wakeup import wakeup_for
from lana_adapters.messaging.webhook_client import WebhookClient
from lana_adapters.messaging.worker import WorkerStats
from lana_adapters.sql import SqlOutboxRelayStore, SqlSettings, create_engine_from, ensure_schema
from lana_adapters.sql.uow import SqlUnitOfWorkFactory
from lana_adapters.sql.webhooks import SqlWebhookDeliveryQueue
from lana_adapters.telemetry.exposition import EndpointOptions, Heartbeat
from lana_adapters.telemetry.workers import consumer_endpoint, relay_endpoint
from lana_core.memory import NoCache
from lana_core.ports import OutboxRelayStore
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel

if TYPE_CHECKING:
    from lana_adapters.redis.stream import EventStream

log = logging.getLogger(__name__)
T = TypeVar("T")


async def run_relay(
    settings: MessagingSettings,
    stop: asyncio.Event,
    *,
    store: OutboxRelayStore | None = None,
    endpoint: EndpointOptions | None = None,
    in_process: bool = False,
    live: EventStream | None = None,
) -> RelayStats:
    """Relay the outbox of ``settings.database_url`` (or ``store``) to the broker until ``stop`` is set.

    The database must have its schema (the application creates it); outages of the
    database or the broker pause the relay, they do not end it. With ``endpoint`` the
    relay serves its metrics and liveness over HTTP (OSError when the port is taken).
    Raises ValueError for a broker only this process can reach (``memory://``) unless
    ``in_process`` says its consumers run in this process too. The events the broker
    confirmed are also offered to ``live`` (the API's live event stream, best effort).
    """
    _require_shared_broker(settings, in_process=in_process)
    # The webhook consumer's queue waits for its events even while no consumer runs.
    publisher = KombuEventPublisher(
        settings,
        topologies=[Topology.of(settings)]
        if settings.webhook_routes or settings.webhook_subscriptions
        else [],
    )
    wakeup = wakeup_for(settings.database_url)
    try:
        async with _engine(settings, needed=store is None, migrate=False) as engine:
            if store is None:
                assert engine is not None
                store = SqlOutboxRelayStore(engine, role=settings.database_relay_role)
            heartbeat = Heartbeat(_beat(settings))
            relay = OutboxRelay(
                store,
                _teed(publisher, live),
                _relay_options(settings, store),
                wakeup=wakeup,
                on_loop=heartbeat.beat,
            )
            log.info("relay started: %s -> %s", _safe(settings.database_url), settings.exchange)
            async with relay_endpoint(endpoint, heartbeat, engine):
                await relay.run(stop)
            return relay.stats
    finally:
        await wakeup.close()
        await publisher.close()


async def run_consumer(
    settings: MessagingSettings,
    stop: asyncio.Event,
    *,
    inbox: Inbox | None = None,
    endpoint: EndpointOptions | None = None,
    in_process: bool = False,
) -> WorkerStats:
    """POST events from ``settings.queue`` to their webhooks until ``stop`` is set.

    The inbox is the ``inbox`` table of ``settings.database_url`` unless one is given.
    With ``settings.webhook_subscriptions`` the events are also owed to the tenants'
    subscriptions in that database, and a :class:`SubscriptionSender` sends their
    deliveries alongside (calls guarded unless ``webhook_allow_private``).
    With ``endpoint`` the consumer serves its metrics and liveness over HTTP (OSError
    when the port is taken). Raises ValueError for a broker only this process can reach
    (``memory://``) unless ``in_process`` says its relay runs in this process too.
    """
    _require_shared_broker(settings, in_process=in_process)
    needed = inbox is None or settings.webhook_subscriptions
    async with _engine(settings, needed=needed, migrate=True) as engine, AsyncExitStack() as stack:
        if inbox is None:
            assert engine is not None
            inbox = await stack.enter_async_context(SqlInbox(engine))
        heartbeat = Heartbeat(_beat(settings))
        units = None
        if engine is not None and settings.webhook_subscriptions:
            units = SqlUnitOfWorkFactory(engine)
        consumer = WebhookConsumer(settings, inbox, on_loop=heartbeat.beat, subscriptions=units)
        log.info("consumer started on queue %s", settings.queue)
        observed = consumer_endpoint(endpoint, heartbeat, settings, consumer.stats)
        async with observed, asyncio.TaskGroup() as tasks:
            if engine is not None and units is not None:
                tasks.create_task(_send_subscriptions(settings, engine, units, stop))
            await consumer.run(stop)
        return consumer.stats


async def _send_subscriptions(
    settings: MessagingSettings, engine: AsyncEngine, units: SqlUnitOfWorkFactory, stop: asyncio.Event
) -> None:
    clock = SystemClock()
    kernel = Kernel(uow=units, clock=clock, ids=TimeOrderedIds(), cache=NoCache())
    client = WebhookClient(
        settings.webhook_timeout_seconds,
        connections=settings.lanes,
        allow_private=settings.webhook_allow_private,
    )
    sender = SubscriptionSender(
        SqlWebhookDeliveryQueue(engine, clock, role=settings.database_relay_role),
        client,
        clock,
        pause=pausing_through(kernel),
        # A lease outlives the longest call, so only a crashed sender's deliveries are taken again.
        lease_seconds=settings.webhook_timeout_seconds * 3,
        batch=settings.lanes,  # no more calls at once than connections: none waits for one
    )
    log.info("sending deliveries of webhook subscriptions")
    try:
        await sender.run(stop)
    finally:
        await client.aclose()


def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[T]]) -> T:
    """Run ``main(stop)`` in a new event loop; SIGTERM or SIGINT sets ``stop`` (a clean stop)."""

    async def runner() -> T:
        stop = asyncio.Event()
        undo = stop_on_signals(stop)
        try:
            return await main(stop)
        finally:
            undo()

    return asyncio.run(runner())


def _relay_options(settings: MessagingSettings, store: OutboxRelayStore) -> RelayOptions:
    """The settings' options; on SQL the first claim is at once: its claim holds back the
    events of an aggregate whose earlier row a crashed relay still has leased."""
    options = RelayOptions.of(settings)
    if isinstance(store, SqlOutboxRelayStore):
        return evolve(options, start_delay_seconds=0.0)
    return options


def _teed(publisher: KombuEventPublisher, live: EventStream | None) -> BatchPublisher:
    if live is None:
        return publisher
    from lana_adapters.redis.stream import TeePublisher

    return TeePublisher(publisher, live)


def _require_shared_broker(settings: MessagingSettings, *, in_process: bool) -> None:
    """Refuse kombu's in-memory transport unless the caller runs relay and consumers in this
    process: a relay and a consumer in two processes would each have their own "broker",
    and every event would be reported published and never delivered."""
    if in_process or urlsplit(settings.broker_url).scheme != "memory":
        return
    raise ValueError(
        f"LANA_BROKER_URL is {settings.broker_url}, a broker inside one process that no other process"
        " can reach; set it to RabbitMQ's URL (amqp://user:pass@host:5672//)"
    )


@asynccontextmanager
async def _engine(
    settings: MessagingSettings, *, needed: bool, migrate: bool
) -> AsyncIterator[AsyncEngine | None]:
    if not needed:
        yield None
        return
    engine = create_engine_from(SqlSettings(url=settings.database_url))
    try:
        if migrate and engine.dialect.name == "sqlite":
            # The embedded database may be new (its inbox table too); PostgreSQL is migrated by deploys.
            await ensure_schema(engine)
        yield engine
    finally:
        await engine.dispose()


def _beat(settings: MessagingSettings) -> Callable[[], None] | None:
    return HeartbeatFile(settings.health_file).touch if settings.health_file else None


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
