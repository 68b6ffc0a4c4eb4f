"""The n8n consumer against a real RabbitMQ and a real local HTTP server standing in for n8n."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from attrs import evolve

from lana_adapters.messaging._kombu import Connection, Producer
from lana_adapters.messaging.codec import encode
from lana_adapters.messaging.consumer import WebhookConsumer
from lana_adapters.messaging.dlq import dlq_list, dlq_purge, dlq_replay
from lana_adapters.messaging.inbox import Inbox, InMemoryInbox, SqlInbox
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute, parse_routes
from lana_adapters.messaging.topology import Topology
from lana_adapters.messaging.webhook import verify
from lana_adapters.sql import SqlSettings, create_engine_from
from lana_core.domain import webhook_signing
from lana_core.domain.events import CUSTOMER_CREATED, CUSTOMER_CREATED_HIGH_VALUE, CUSTOMER_UPDATED
from tests.integration.messaging.broker import depth
from tests.integration.messaging.events import event
from tests.integration.messaging.receiver import Receiver, always, fail_first, slow
from tests.integration.messaging.running import publish, running, until
from tests.integration.sql.databases import sqlite_database

pytestmark = pytest.mark.rabbitmq
SECRET = "n8n-shared-secret"


@pytest.fixture
def settings(messaging: MessagingSettings, receiver: Receiver) -> MessagingSettings:
    return evolve(
        messaging,
        webhook_routes=(WebhookRoute("#", receiver.url("/hook")),),
        signing_secret=SECRET,
        max_attempts=4,
        webhook_timeout_seconds=3,
    )


@pytest.fixture(params=["memory", "sqlite"])
async def inbox(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[Inbox]:
    if request.param == "memory":
        yield InMemoryInbox()
        return
    import pathlib

    engine = create_engine_from(SqlSettings(url=sqlite_database(pathlib.Path(str(tmp_path)))))
    async with SqlInbox(engine) as inbox:
        yield inbox
    await engine.dispose()


async def _started(consumer: WebhookConsumer) -> None:
    await until(lambda: consumer.stats.sessions >= 1)


async def test_each_event_is_posted_once_signed_and_keyed_by_its_id(
    settings: MessagingSettings, receiver: Receiver, inbox: Inbox
) -> None:
    consumer = WebhookConsumer(settings, inbox)
    sent = [event() for _ in range(5)]
    async with running(consumer):
        await _started(consumer)
        await publish(settings, sent)
        await until(lambda: len(receiver.received) >= 5)
        await until(lambda: consumer.stats.delivered == 5)
    assert sorted(receiver.ids()) == sorted(str(e.id) for e in sent)
    for request in receiver.received:
        assert webhook_signing.verify(SECRET, request.headers, request.body, now=time.time())
        assert request.headers["webhook-id"] == request.event_id
        # Receivers written before Standard Webhooks keep checking the signature they know.
        assert verify(
            SECRET, request.headers["x-lana-timestamp"], request.body, request.headers["x-lana-signature"]
        )
        assert request.document()["id"] == request.event_id
        assert request.headers["content-type"] == "application/json"


async def test_a_redelivered_event_is_absorbed_by_the_inbox(
    settings: MessagingSettings, receiver: Receiver, inbox: Inbox
) -> None:
    consumer = WebhookConsumer(settings, inbox)
    once = event()
    async with running(consumer):
        await _started(consumer)
        await publish(settings, [once])
        await until(lambda: consumer.stats.delivered == 1)
        await publish(settings, [once])
        await until(lambda: consumer.stats.duplicates == 1)
    assert receiver.ids() == [str(once.id)]


async def test_a_webhook_failing_three_times_is_delivered_once_after_backing_off(
    settings: MessagingSettings, receiver: Receiver
) -> None:
    receiver.script("/hook", fail_first(3))
    consumer = WebhookConsumer(settings, InMemoryInbox())
    async with running(consumer):
        await _started(consumer)
        await publish(settings, [event()])
        await until(lambda: consumer.stats.delivered == 1)
    tries = receiver.received
    assert len(tries) == 4
    assert len(set(receiver.ids())) == 1
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(tries)]
    assert [gap >= delay for gap, delay in zip(gaps, (0.1, 0.2, 0.4), strict=True)] == [True, True, True]
    assert consumer.stats.retried == 3


async def test_an_always_failing_event_is_dead_lettered_then_replayed(
    settings: MessagingSettings, receiver: Receiver
) -> None:
    receiver.script("/hook", always(500))
    consumer = WebhookConsumer(settings, InMemoryInbox())
    doomed = event()
    async with running(consumer):
        await _started(consumer)
        await publish(settings, [doomed])
        await until(lambda: consumer.stats.dead_lettered == 1)
        [dead] = await asyncio.to_thread(dlq_list, settings)
        assert (dead.message_id, dead.attempts, dead.last_error) == (
            str(doomed.id),
            4,
            f"HTTP 500 from {receiver.url()}",
        )
        assert len(receiver.ids()) == 4
        receiver.script("/hook", always(200))
        assert await asyncio.to_thread(dlq_replay, settings) == 1
        await until(lambda: consumer.stats.delivered == 1)
    assert receiver.ids() == [str(doomed.id)] * 5
    assert await asyncio.to_thread(dlq_list, settings) == []


async def test_a_replay_while_the_consumer_runs_moves_only_what_was_dead_when_it_began(
    settings: MessagingSettings, receiver: Receiver
) -> None:
    dead_at_start = 100
    receiver.script("/hook", always(410))  # the route is disabled: each replayed event bounces back
    consumer = WebhookConsumer(settings, InMemoryInbox())
    sent = [event() for _ in range(dead_at_start)]
    async with running(consumer):
        await _started(consumer)
        await publish(settings, sent)
        await until(lambda: consumer.stats.dead_lettered == dead_at_start)
        replayed = await asyncio.wait_for(asyncio.to_thread(dlq_replay, settings), timeout=60)
        assert replayed == dead_at_start
        await until(lambda: consumer.stats.dead_lettered == 2 * dead_at_start, what=lambda: consumer.stats)
    dead = await asyncio.to_thread(dlq_list, settings, 10 * dead_at_start)
    assert sorted(d.message_id or "" for d in dead) == sorted(str(e.id) for e in sent)


def _publish_raw(settings: MessagingSettings, messages: list[tuple[bytes, dict[str, object]]]) -> None:
    with Connection(settings.broker_url, transport_options={"confirm_publish": True}) as conn:
        producer = Producer(conn.channel())
        for body, headers in messages:
            producer.publish(
                body,
                exchange=settings.exchange,
                routing_key=CUSTOMER_CREATED,
                headers=headers,
                content_type="application/json",
                content_encoding="utf-8",
                message_id=str(uuid4()),
            )


def _poison(n: int) -> tuple[bytes, dict[str, object]]:
    good = encode(event())
    kind = n % 3
    if kind == 0:
        return b"{not json", good.headers
    if kind == 1:
        return good.body.replace(b'"customer.created"', b'"customer.teleported"'), {
            **good.headers,
            "lana-event-type": "customer.teleported",
        }
    return good.body, {}


SCALE = (10_000, 100) if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else (600, 30)


async def test_poison_among_good_messages_goes_to_the_dlq_and_the_rest_is_delivered(
    settings: MessagingSettings, receiver: Receiver
) -> None:
    goods, poisons = SCALE
    settings = evolve(settings, prefetch=200, lanes=16)
    consumer = WebhookConsumer(settings, InMemoryInbox())
    good_events = [event() for _ in range(goods)]
    every = goods // poisons
    async with running(consumer):
        await _started(consumer)
        for start in range(0, goods, every):
            await publish(settings, good_events[start : start + every])
            await asyncio.to_thread(_publish_raw, settings, [_poison(start // every)])
        # A liveness bound, not a speed check: room for 50 events/s on a loaded machine.
        within = max(30.0, goods / 50)
        await until(lambda: consumer.stats.delivered == goods, within=within, what=lambda: consumer.stats)
        await until(lambda: consumer.stats.dead_lettered == poisons)
    assert sorted(receiver.ids()) == sorted(str(e.id) for e in good_events)
    dead = await asyncio.to_thread(dlq_list, settings, 10_000)
    assert len(dead) == poisons
    reasons = {d.reason.split(":")[0] + ":" + d.reason.split(":")[1].split(" ")[1] for d in dead}
    assert reasons == {"poison:body", "poison:unknown", "poison:missing"}
    assert await asyncio.to_thread(dlq_purge, settings) == poisons


async def test_a_410_disables_the_route_and_keeps_its_events(
    settings: MessagingSettings, receiver: Receiver
) -> None:
    receiver.script("/hook", always(410))
    consumer = WebhookConsumer(settings, InMemoryInbox())
    async with running(consumer):
        await _started(consumer)
        await publish(settings, [event()])
        await until(lambda: consumer.stats.dead_lettered == 1)
        await publish(settings, [event()])
        await until(lambda: consumer.stats.dead_lettered == 2)
    assert len(receiver.received) == 1
    reasons = [d.reason for d in await asyncio.to_thread(dlq_list, settings)]
    assert all("disabled: 410 Gone" in reason for reason in reasons)


async def test_an_older_version_sent_after_a_newer_one_is_delivered_not_dropped(
    settings: MessagingSettings, receiver: Receiver
) -> None:
    # As after a replay from the dead-letter queue: the receiver orders by version, Lana drops nothing.
    consumer = WebhookConsumer(settings, InMemoryInbox())
    newer = event(type=CUSTOMER_UPDATED, version=3)
    older = event(
        type=CUSTOMER_UPDATED, version=2, aggregate_id=newer.aggregate_id, tenant_id=newer.tenant_id
    )
    async with running(consumer):
        await _started(consumer)
        await publish(settings, [newer, older])
        await until(lambda: consumer.stats.delivered == 2)
    assert receiver.ids() == [str(newer.id), str(older.id)]
    assert [r.document()["aggregate_version"] for r in receiver.received] == [3, 2]
    assert consumer.stats.dead_lettered == 0


async def test_a_webhook_slower_than_the_heartbeat_keeps_the_connection_and_is_not_redelivered(
    settings: MessagingSettings, receiver: Receiver
) -> None:
    settings = evolve(settings, heartbeat_seconds=2, webhook_timeout_seconds=12)
    receiver.script("/hook", slow(8))
    consumer = WebhookConsumer(settings, InMemoryInbox())
    async with running(consumer):
        await _started(consumer)
        await publish(settings, [event()])
        await until(lambda: consumer.stats.delivered == 1, within=15)
        await asyncio.sleep(1)
    assert len(receiver.received) == 1
    assert consumer.stats.sessions == 1
    assert consumer.stats.unsettled == 0
    assert await asyncio.to_thread(depth, settings, Topology.of(settings).queue) == 0


async def test_a_200_without_content_length_ended_by_closing_the_connection_is_delivered_once(
    settings: MessagingSettings, receiver: Receiver
) -> None:
    receiver.answer_unframed("/hook")
    consumer = WebhookConsumer(settings, InMemoryInbox())
    once = event()
    async with running(consumer):
        await _started(consumer)
        await publish(settings, [once])
        await until(lambda: consumer.stats.delivered == 1)
        await asyncio.sleep(0.5)  # longer than the first retry delay: a retry would have come
    assert receiver.ids() == [str(once.id)]
    assert (consumer.stats.retried, consumer.stats.dead_lettered) == (0, 0)


async def test_the_seeds_route_gets_the_seeds_body_signed_and_other_routes_lanas_envelope(
    settings: MessagingSettings, receiver: Receiver
) -> None:
    settings = evolve(
        settings,
        webhook_routes=parse_routes(
            f"customer.created.high_value={receiver.url('/high-value-customer')},"
            f" customer.*={receiver.url('/crm')}, #={receiver.url('/seed')} format=seed"
        ),
    )
    consumer = WebhookConsumer(settings, InMemoryInbox())
    high = event(type=CUSTOMER_CREATED_HIGH_VALUE, payload={"name": "Grace", "value": "high"})
    created = event(aggregate_id=high.aggregate_id, tenant_id=high.tenant_id, payload={"name": "Grace"})
    elsewhere = event(type="project.created")
    async with running(consumer):
        await _started(consumer)
        await publish(settings, [high, created, elsewhere])
        await until(lambda: consumer.stats.delivered == 2 and consumer.stats.dead_lettered == 1)
    [seed] = [r for r in receiver.received if r.path == "/high-value-customer"]
    assert seed.document()["type"] == "customer.created.high_value"
    assert seed.document()["data"]["value"] == "HIGH"
    assert webhook_signing.verify(SECRET, seed.headers, seed.body, now=time.time())
    [lana] = [r for r in receiver.received if r.path == "/crm"]
    assert lana.document()["payload"] == {"name": "Grace"}
    [dead] = await asyncio.to_thread(dlq_list, settings)
    assert dead.message_id == str(elsewhere.id)
    assert "the seed format carries" in dead.reason
