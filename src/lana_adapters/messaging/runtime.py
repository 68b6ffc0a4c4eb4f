"""The long-running processes behind ``lana relay`` and ``lana consume``.

:func:`relay_process` and :func:`consumer_process` build what they run on with the
composition root (:class:`~lana_adapters.container.Container`), from the one settings
object; :func:`run_relay` and :func:`run_consumer` run on what they are given. Each runs
until its stop event is set (``run_until_signalled`` sets it on SIGTERM or SIGINT) and
returns its counters.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit

from attrs import evolve, frozen
from sqlalchemy.engine import make_url

from lana_adapters import container as composition
from lana_adapters.messaging.consumer import WebhookConsumer
from lana_adapters.messaging.health import HeartbeatFile
from lana_adapters.messaging.inbox import Inbox
from lana_adapters.messaging.lifecycle import stop_on_signals
from lana_adapters.messaging.operator_routes import OperatorSubscriptions
from lana_adapters.messaging.outcome import BatchPublisher
from lana_adapters.messaging.publisher import KombuEventPublisher
from lana_adapters.messaging.relay import OutboxRelay, RelayOptions, RelayStats
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.subscription_delivery import SubscriptionSender, pausing_through
from lana_adapters.messaging.topology import Topology
from lana_adapters.messaging.wakeup import wakeup_for
from lana_adapters.messaging.webhook_client import WebhookClient
from lana_adapters.messaging.worker import WorkerStats
from lana_adapters.settings import Settings
from lana_adapters.sql import SqlOutboxRelayStore, SqlSettings
from lana_adapters.sql.uow import SqlUnitOfWorkFactory
from lana_adapters.sql.webhooks import SqlWebhookDeliveryQueue
from lana_adapters.telemetry.exposition import EndpointOptions, Heartbeat
from lana_adapters.telemetry.workers import consumer_endpoint, relay_endpoint
from lana_core.domain.webhook_retries import RetrySchedule
from lana_core.memory import NoCache
from lana_core.ports import OutboxRelayStore
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from lana_adapters.events_stream import EventStream

log = logging.getLogger(__name__)
T = TypeVar("T")


async def relay_process(
    container: composition.Container,
    stop: asyncio.Event,
    *,
    endpoint: EndpointOptions | None = None,
    in_process: bool = False,
) -> RelayStats:
    """``lana relay``: :func:`run_relay` on what ``container`` builds from its settings: the
    outbox store on the database's engine (every ``LANA_DATABASE_*`` setting, the relay's
    role included) and, with ``LANA_REDIS_URL``, the API's live event stream. The
    container's resources are closed when the relay stops."""
    async with _opened(container, in_process=in_process) as settings:
        database = await composition.resolve(container.database)
        return await run_relay(
            settings.messaging,
            stop,
            store=database.relay_store,
            database=None if database.engine is None else settings.database,
            engine=database.engine,
            endpoint=endpoint,
            in_process=in_process,
            live=await composition.resolve(container.shared_event_stream),
        )


async def consumer_process(
    container: composition.Container,
    stop: asyncio.Event,
    *,
    endpoint: EndpointOptions | None = None,
    in_process: bool = False,
) -> WorkerStats:
    """``lana consume``: :func:`run_consumer` on the inbox and the webhook subscriptions of
    the database ``container`` opens (every ``LANA_DATABASE_*`` setting). The container's
    resources are closed when it stops. Raises ValueError without a SQL database."""
    async with _opened(container, in_process=in_process) as settings:
        inbox = await composition.resolve(container.inbox)
        database = await composition.resolve(container.database)
        if database.engine is None:
            raise ValueError("lana consume delivers the tenants' webhooks: set LANA_DATABASE_URL")
        subscriptions = SubscriptionDatabase(database.engine, settings.database.relay_role)
        return await run_consumer(
            settings.messaging,
            stop,
            inbox=inbox,
            subscriptions=subscriptions,
            endpoint=endpoint,
            in_process=in_process,
        )


@asynccontextmanager
async def _opened(container: composition.Container, *, in_process: bool) -> AsyncIterator[Settings]:
    """The container's settings, with tracing on; its resources close on exit. A broker no
    other process can reach is refused before anything is opened."""
    settings: Settings = await composition.resolve(container.settings)
    _require_shared_broker(settings.messaging, in_process=in_process)
    try:
        await composition.resolve(container.telemetry)
        yield settings
    finally:
        await composition.stop(container)


async def run_relay(
    settings: MessagingSettings,
    stop: asyncio.Event,
    *,
    store: OutboxRelayStore,
    database: SqlSettings | None = None,
    engine: AsyncEngine | None = None,
    endpoint: EndpointOptions | None = None,
    in_process: bool = False,
    live: EventStream | None = None,
) -> RelayStats:
    """Relay the outbox of ``store`` to the broker until ``stop`` is set.

    ``database`` (the store's, when it is SQL) lets PostgreSQL wake the relay at once, and
    ``engine`` feeds the outbox gauges of the endpoint. The database must have its schema
    (the application creates it); outages of the database or the broker pause the relay,
    they do not end it. With ``endpoint`` the relay serves its metrics and liveness over
    HTTP (OSError when the port is taken). Raises ValueError for a broker only this process
    can reach (``memory://``) unless ``in_process`` says its consumers run in this process
    too. The events the broker confirmed are also offered to ``live`` (the API's live event
    stream, best effort).
    """
    _require_shared_broker(settings, in_process=in_process)
    # The webhook consumer's queue waits for its events even while no consumer runs.
    publisher = KombuEventPublisher(settings, topologies=[Topology.of(settings)])
    wakeup = wakeup_for(database.url if database else None)
    try:
        heartbeat = Heartbeat(_beat(settings))
        relay = OutboxRelay(
            store,
            _teed(publisher, live),
            _relay_options(settings, store),
            wakeup=wakeup,
            on_loop=heartbeat.beat,
        )
        where = _safe(database.url) if database else "this process's outbox"
        log.info("relay started: %s -> %s", where, settings.exchange)
        async with relay_endpoint(endpoint, heartbeat, engine, database.relay_role if database else None):
            await relay.run(stop)
        return relay.stats
    finally:
        await wakeup.close()
        await publisher.close()


async def run_consumer(
    settings: MessagingSettings,
    stop: asyncio.Event,
    *,
    inbox: Inbox,
    subscriptions: SubscriptionDatabase,
    endpoint: EndpointOptions | None = None,
    in_process: bool = False,
    schedule: RetrySchedule | None = None,
) -> WorkerStats:
    """Owe events from ``settings.queue`` to the webhook subscriptions of ``subscriptions``
    until ``stop`` is set, each event recorded in ``inbox`` once owed (a redelivered event
    is owed once), and send their deliveries alongside with a :class:`SubscriptionSender`
    (retried on ``schedule``; calls to tenants' URLs guarded unless
    ``webhook_allow_private``). The operator's routes are each tenant's subscriptions too
    (see :mod:`~lana_adapters.messaging.operator_routes`).

    With ``endpoint`` the consumer serves its metrics and liveness over HTTP (OSError
    when the port is taken). Raises ValueError for a broker only this process can reach
    (``memory://``) unless ``in_process`` says its relay runs in this process too.
    """
    _require_shared_broker(settings, in_process=in_process)
    heartbeat = Heartbeat(_beat(settings))
    workers = WebhookWorkers(
        settings, inbox=inbox, subscriptions=subscriptions, schedule=schedule, on_loop=heartbeat.beat
    )
    log.info("consumer started on queue %s", settings.queue)
    async with consumer_endpoint(endpoint, heartbeat, settings, workers.stats):
        await workers.run(stop)
    return workers.stats


@frozen
class SubscriptionDatabase:
    """The database the tenants' webhook subscriptions live in, and the role their
    cross-tenant delivery queue is read as."""

    engine: AsyncEngine
    relay_role: str | None


class WebhookWorkers:
    """What ``lana consume`` runs (see :func:`run_consumer`): the consumer owing each event
    to the subscriptions, and the sender of their deliveries."""

    def __init__(
        self,
        settings: MessagingSettings,
        *,
        inbox: Inbox,
        subscriptions: SubscriptionDatabase,
        schedule: RetrySchedule | None = None,
        on_loop: Callable[[], None] | None = None,
    ) -> None:
        self._settings = settings
        self._database = subscriptions
        self.schedule = schedule
        units = SqlUnitOfWorkFactory(subscriptions.engine)
        clock = SystemClock()
        self._kernel = Kernel(uow=units, clock=clock, ids=TimeOrderedIds(), cache=NoCache())
        self.consumer = WebhookConsumer(
            settings,
            inbox,
            subscriptions=units,
            operator=OperatorSubscriptions(self._kernel, settings.operator_routes),
            clock=clock,
            on_loop=on_loop,
        )

    @property
    def stats(self) -> WorkerStats:
        """The consumer's counters: ``delivered`` counts events owed to the subscriptions."""
        return self.consumer.stats

    async def run(self, stop: asyncio.Event) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(
                _send_subscriptions(self._settings, self._database, self._kernel, stop, self.schedule)
            )
            await self.consumer.run(stop)


async def _send_subscriptions(
    settings: MessagingSettings,
    store: SubscriptionDatabase,
    kernel: Kernel,
    stop: asyncio.Event,
    schedule: RetrySchedule | None,
) -> None:
    clock = kernel.clock
    clients = [
        WebhookClient(settings.webhook_timeout_seconds, connections=settings.lanes, allow_private=allowed)
        for allowed in (settings.webhook_allow_private, True)
    ]
    sender = SubscriptionSender(
        SqlWebhookDeliveryQueue(store.engine, clock, role=store.relay_role),
        clients[0],
        clock,
        operator_client=clients[1],
        schedule=schedule,
        pause=pausing_through(kernel),
        # A lease outlives the longest call, so only a crashed sender's deliveries are taken again.
        lease_seconds=settings.webhook_timeout_seconds * 3,
        batch=settings.lanes,  # no more calls at once than connections: none waits for one
    )
    log.info("sending deliveries of webhook subscriptions")
    try:
        await sender.run(stop)
    finally:
        for client in clients:
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
    from lana_adapters.events_stream import TeePublisher

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


def _beat(settings: MessagingSettings) -> Callable[[], None] | None:
    return HeartbeatFile(settings.health_file).touch if settings.health_file else None


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
