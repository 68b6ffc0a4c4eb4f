"""Event delivery throughput and latency against a real RabbitMQ and database.

    uv run python -m benchmarks.events [--events 3000] [--latency-events 1000]
        [--broker amqp://...] [--database URL]

Figures, all in one run on the same broker:
- raw kombu confirmed-publish loop (persistent, mandatory, one confirm per message);
- relay throughput: committed outbox rows to confirmed publishes (target: >= 80 % of raw);
- end-to-end latency commit -> webhook receipt at ~100 events/s, p50 / p99 (target p99 <= 100 ms);
- consumer throughput into a fast local HTTP receiver (target >= 1,000 events/s), with the
  inbox in the database (as ``lana consume`` runs) and in memory.

The database defaults to ``LANA_TEST_POSTGRES_URL`` (a scratch database is created and
dropped) and falls back to a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from uuid import UUID, uuid4

from attrs import evolve
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.messaging._kombu import Connection, Exchange, Producer, Queue
from lana_adapters.messaging.codec import encode
from lana_adapters.messaging.inbox import Inbox, InMemoryInbox, SqlInbox
from lana_adapters.messaging.publisher import KombuEventPublisher
from lana_adapters.messaging.relay import OutboxRelay, RelayOptions
from lana_adapters.messaging.runtime import SubscriptionDatabase, WebhookWorkers
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_adapters.messaging.topology import Topology
from lana_adapters.messaging.wakeup import wakeup_for
from lana_adapters.settings import Settings
from lana_adapters.sql import (
    SqlOutboxRelayStore,
    SqlSettings,
    SqlUnitOfWorkFactory,
    create_engine_from,
    migrate,
)
from lana_adapters.telemetry import configure_telemetry
from lana_core.domain.events import CUSTOMER_UPDATED, DomainEvent
from lana_core.memory import NoCache
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_testing.support import make_tenant

IDS = TimeOrderedIds()
TENANT = uuid4()


def _event(n: int, tenant: UUID = TENANT) -> DomainEvent:
    return DomainEvent(
        id=IDS.new_id(),
        type=CUSTOMER_UPDATED,
        tenant_id=tenant,
        aggregate_type="customer",
        aggregate_id=uuid4(),
        aggregate_version=2,
        occurred_at=datetime.now(UTC),
        actor_id=None,
        payload={"name": f"Customer {n}", "email": f"c{n}@example.com", "notes": "x" * 120},
    )


async def _until(done: Callable[[], bool]) -> None:
    for _ in range(60_000):
        if done():
            return
        await asyncio.sleep(0.005)
    raise TimeoutError("the benchmark stalled")


class FastReceiver:
    """A local HTTP server answering 200 at once and noting when each event id arrived."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.arrivals.setdefault(self.headers.get("idempotency-key", ""), time.perf_counter())
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def close(self) -> None:
        self._server.shutdown()


def raw_publish_rate(settings: MessagingSettings, count: int) -> float:
    body = encode(_event(0))
    with Connection(settings.broker_url, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        exchange = Exchange(settings.exchange, type="topic", durable=True)
        queue = Queue(f"{settings.queue}.raw", exchange, routing_key="#", durable=True)
        queue(channel).declare()
        producer = Producer(channel, exchange=exchange, on_return=lambda *_: None)
        start = time.perf_counter()
        for n in range(count):
            producer.publish(
                body.body, routing_key=body.routing_key, mandatory=True, delivery_mode=2,
                content_type="application/json", content_encoding="utf-8", headers=body.headers,
                message_id=str(n),
            )  # fmt: skip
        elapsed = time.perf_counter() - start
        queue(channel).delete()
    return count / elapsed


async def _commit(engine: AsyncEngine, events: list[DomainEvent]) -> None:
    uow = SqlUnitOfWorkFactory(engine, app_role=None)(events[0].tenant_id)
    async with uow:
        await uow.outbox.append(events)
        await uow.commit()


async def relay_rate(settings: MessagingSettings, engine: AsyncEngine, count: int) -> float:
    for start in range(0, count, 500):
        await _commit(engine, [_event(n) for n in range(start, min(count, start + 500))])
    publisher = KombuEventPublisher(settings)
    await publisher.declare()
    relay = OutboxRelay(SqlOutboxRelayStore(engine, role=None), publisher, RelayOptions(batch_size=200))
    began = time.perf_counter()
    while await relay.run_once():
        pass
    elapsed = time.perf_counter() - began
    await publisher.close()
    return relay.stats.published / elapsed


async def _consume(
    settings: MessagingSettings, stop: asyncio.Event, engine: AsyncEngine, inbox: Inbox | None = None
) -> WebhookWorkers:
    """lana consume's workers: the consumer owes each event to the route, the sender calls it."""
    consumer = WebhookWorkers(
        settings, inbox=inbox or InMemoryInbox(), subscriptions=SubscriptionDatabase(engine, relay_role=None)
    )
    asyncio.get_running_loop().create_task(consumer.run(stop))
    await _until(lambda: consumer.stats.sessions >= 1)
    return consumer


async def latency(
    settings: MessagingSettings, engine: AsyncEngine, url: str, count: int, tenant: UUID
) -> tuple[float, float]:
    receiver = FastReceiver()
    settings = evolve(settings, webhook_routes=(WebhookRoute("#", receiver.url),))
    stop = asyncio.Event()
    await _consume(settings, stop, engine)
    publisher = KombuEventPublisher(settings)
    relay = OutboxRelay(
        SqlOutboxRelayStore(engine, role=None),
        publisher,
        RelayOptions(poll_seconds=0.05),
        wakeup=wakeup_for(url),
    )
    relaying = asyncio.create_task(relay.run(stop))
    committed: dict[str, float] = {}
    for n in range(count):
        event = _event(n, tenant)
        await _commit(engine, [event])
        committed[str(event.id)] = time.perf_counter()
        await asyncio.sleep(0.01)  # about 100 events a second
    await _until(lambda: len(receiver.arrivals) >= count)
    stop.set()
    await relaying
    await publisher.close()
    receiver.close()
    waits = sorted((receiver.arrivals[i] - t) * 1000 for i, t in committed.items())
    return statistics.median(waits), waits[int(len(waits) * 0.99) - 1]


# An asyncio server parsing with httptools (llhttp): a fast receiver, so it takes little of
# the CPU the consumer competes for on a small machine.
_COUNTING_SERVER = """
import asyncio, httptools
seen = set()
class Receiver(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.parser = transport, httptools.HttpRequestParser(self)
    def data_received(self, data):
        self.parser.feed_data(data)
    def on_message_begin(self):
        self.key = self.url = None
    def on_url(self, url):
        self.url = url
    def on_header(self, name, value):
        if name.lower() == b"idempotency-key":
            self.key = value
    def on_message_complete(self):
        if self.parser.get_method() == b"POST":
            seen.add((self.url, self.key))
            self.transport.write(b"HTTP/1.1 200 OK\\r\\ncontent-length: 0\\r\\n\\r\\n")
        else:
            body = str(len(seen)).encode()
            self.transport.write(b"HTTP/1.1 200 OK\\r\\ncontent-length: %d\\r\\n\\r\\n%s" % (len(body), body))
async def main():
    server = await asyncio.get_running_loop().create_server(Receiver, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


@contextmanager
def counting_receiver() -> Iterator[tuple[str, Callable[[], int]]]:
    """A receiver in its own process (so it takes no time from the consumer's), and its count
    of distinct (path, event id) POSTs received."""
    process = subprocess.Popen([sys.executable, "-c", _COUNTING_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())

        def count() -> int:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/")
            return int(connection.getresponse().read())

        yield f"http://127.0.0.1:{port}/hook", count
    finally:
        process.terminate()
        process.wait()


async def consumer_rate(
    settings: MessagingSettings, count: int, inbox: Inbox, engine: AsyncEngine, tenant: UUID
) -> float:
    with counting_receiver() as (url, received):
        routed = evolve(settings, webhook_routes=(WebhookRoute("#", url),))
        return await _consumer_rate(
            routed, count, received=received, inbox=inbox, engine=engine, tenant=tenant
        )


async def _consumer_rate(
    settings: MessagingSettings,
    count: int,
    *,
    received: Callable[[], int],
    inbox: Inbox,
    engine: AsyncEngine,
    tenant: UUID,
) -> float:
    # The default prefetch (64) and lanes (8): what a worker runs with unless told otherwise.
    publisher = KombuEventPublisher(settings)
    _declare(settings)  # fill the queue first, with nobody consuming
    await publisher.publish([_event(n, tenant) for n in range(count)])
    await publisher.close()
    stop = asyncio.Event()
    began = time.perf_counter()
    await _consume(settings, stop, engine, inbox)
    for _ in range(10_000):
        if await asyncio.to_thread(received) >= count:
            break
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - began
    stop.set()
    return count / elapsed


@asynccontextmanager
async def database(url: str | None) -> AsyncIterator[tuple[AsyncEngine, str]]:
    with _scratch(url) as scratch:
        migrate(scratch)
        engine = create_engine_from(SqlSettings(url=scratch, app_role=None, relay_role=None))
        try:
            yield engine, scratch
        finally:
            await engine.dispose()


@contextmanager
def _scratch(url: str | None) -> Iterator[str]:
    if url is None:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite+aiosqlite:///{directory}/bench.db"
        return
    import psycopg

    server = make_url(url)
    name = f"lana_bench_{secrets.token_hex(4)}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


def _declare(settings: MessagingSettings) -> None:
    with Connection(settings.broker_url) as conn:
        Topology.of(settings).declare(conn)


def _cleanup(settings: MessagingSettings) -> None:
    with Connection(settings.broker_url) as conn:
        for name in Topology.of(settings).all_queues:
            conn.channel().queue_delete(queue=name)
        conn.channel().exchange_delete(exchange=settings.exchange)


def _phase(settings: MessagingSettings, name: str) -> MessagingSettings:
    """Its own exchange and queue, so no earlier phase's queue takes copies of its messages."""
    return evolve(settings, exchange=f"{settings.exchange}.{name}", queue=f"{settings.queue}.{name}")


async def _tenant(engine: AsyncEngine) -> UUID:
    """The tenant whose events are delivered: the routes are its subscriptions."""
    kernel = Kernel(
        uow=SqlUnitOfWorkFactory(engine), clock=SystemClock(), ids=TimeOrderedIds(), cache=NoCache()
    )
    return (await make_tenant(kernel, slug=f"bench{secrets.token_hex(3)}")).tenant_id


async def main(args: argparse.Namespace) -> None:
    tag = secrets.token_hex(3)
    settings = MessagingSettings(
        broker_url=args.broker, exchange=f"bench.{tag}.events", queue=f"bench.{tag}.work",
        webhook_routes=(WebhookRoute("#", "http://127.0.0.1:9/unused"),), relay_poll_seconds=0.05,
    )  # fmt: skip
    try:
        async with database(args.database) as (engine, url):
            tenant = await _tenant(engine)
            _declare(settings)  # a bound queue, so publishes route
            raw = raw_publish_rate(settings, args.events)
            relayed = await relay_rate(settings, engine, args.events)
            print(f"database: {make_url(url).get_backend_name()}, {args.events} events")
            print(f"raw kombu confirmed publish: {raw:8.0f} events/s")
            print(f"relay outbox -> confirmed:   {relayed:8.0f} events/s ({relayed / raw:.0%} of raw)")
            p50, p99 = await latency(_phase(settings, "latency"), engine, url, args.latency_events, tenant)
            print(f"commit -> webhook at ~100/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
            async with SqlInbox(engine) as inbox:
                rate = await consumer_rate(_phase(settings, "stored"), args.events, inbox, engine, tenant)
            backend = make_url(url).get_backend_name()
            print(f"consumer -> local webhook:   {rate:8.0f} events/s (inbox in {backend}, as consumers run)")
            rate = await consumer_rate(
                _phase(settings, "consumer"), args.events, InMemoryInbox(), engine, tenant
            )
            print(f"consumer -> local webhook:   {rate:8.0f} events/s (inbox in memory)")
    finally:
        for phase in (settings, *(_phase(settings, name) for name in ("latency", "stored", "consumer"))):
            _cleanup(phase)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=3_000)
    parser.add_argument("--latency-events", type=int, default=1_000, help="events of the ~100/s latency run")
    parser.add_argument(
        "--broker", default=os.environ.get("LANA_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
    )
    parser.add_argument("--database", default=os.environ.get("LANA_TEST_POSTGRES_URL"))
    arguments = parser.parse_args()
    # Traced as the relay and worker processes are: LANA_OTEL_* decide what leaves the process.
    telemetry = configure_telemetry(Settings.from_env())
    try:
        asyncio.run(main(arguments))
    finally:
        telemetry.flush()
