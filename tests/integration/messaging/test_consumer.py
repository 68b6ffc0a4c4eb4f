"""``lana consume`` against a real RabbitMQ and a real local HTTP server standing in for n8n:
the operator's route is a subscription of the tenant, and every call goes through the one
delivery path (owed by the consumer, sent, retried and paused by the sender)."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from attrs import evolve
from sqlalchemy import select

from lana_adapters.messaging._kombu import Connection, Producer
from lana_adapters.messaging.codec import encode
from lana_adapters.messaging.dlq import dlq_list, dlq_purge, dlq_replay
from lana_adapters.messaging.inbox import Inbox, InMemoryInbox, SqlInbox
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute, parse_routes
from lana_adapters.messaging.topology import Topology
from lana_adapters.messaging.webhook import verify
from lana_adapters.sql import SqlSettings, create_engine_from
from lana_adapters.sql.tables import webhook_attempts, webhook_deliveries
from lana_core.domain import webhook_signing
from lana_core.domain.events import CUSTOMER_CREATED, CUSTOMER_CREATED_HIGH_VALUE, CUSTOMER_UPDATED
from lana_core.domain.tenancy import Operator
from lana_core.domain.webhooks import operator_subscription_id
from lana_core.usecases.webhooks import RedeliverWebhookRangeHandler
from tests.integration.messaging.broker import depth
from tests.integration.messaging.events import event
from tests.integration.messaging.one_path import OnePath, fast, one_path
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
async def inbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Inbox]:
    if request.param == "memory":
        yield InMemoryInbox()
        return
    (tmp_path / "inbox").mkdir()
    engine = create_engine_from(SqlSettings(url=sqlite_database(tmp_path / "inbox")))
    async with SqlInbox(engine) as inbox:
        yield inbox
    await engine.dispose()


async def _attempts(path: OnePath) -> list[tuple[int | None, str | None]]:
    """Every attempt logged: its status code and error, oldest first."""
    query = select(webhook_attempts.c.status_code, webhook_attempts.c.error).order_by(webhook_attempts.c.at)
    async with path.engine.connect() as conn:
        return [(row.status_code, row.error) for row in await conn.execute(query)]


def _route_id(path: OnePath, pattern: str = "#") -> UUID:
    return operator_subscription_id(path.tenant_id, pattern)


async def test_each_event_is_posted_once_signed_and_keyed_by_its_id(
    settings: MessagingSettings, receiver: Receiver, inbox: Inbox, tmp_path: Path
) -> None:
    async with one_path(settings, directory=tmp_path, inbox=inbox) as path, running(path):
        await path.started()
        sent = [path.event() for _ in range(5)]
        await publish(settings, sent)
        await until(lambda: len(receiver.received) >= 5)
        await until(lambda: path.stats.delivered == 5)
    assert sorted(receiver.ids()) == sorted(str(e.id) for e in sent)
    for request in receiver.received:
        assert webhook_signing.verify(SECRET, request.headers, request.body, now=time.time())
        assert request.headers["webhook-id"] == request.event_id
        assert request.headers["idempotency-key"] == request.event_id
        # Receivers written before Standard Webhooks keep checking the signature they know.
        assert verify(
            SECRET, request.headers["x-lana-timestamp"], request.body, request.headers["x-lana-signature"]
        )
        assert request.document()["id"] == request.event_id
        assert request.headers["content-type"] == "application/json"


async def test_without_a_secret_the_routes_requests_are_unsigned(
    settings: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    settings = evolve(settings, signing_secret=None)
    async with one_path(settings, directory=tmp_path) as path, running(path):
        await path.started()
        await publish(settings, [path.event()])
        await until(lambda: len(receiver.received) >= 1)
    [request] = receiver.received
    assert "webhook-signature" not in request.headers
    assert "x-lana-signature" not in request.headers
    assert request.headers["webhook-id"] == request.event_id


async def test_a_redelivered_event_is_absorbed_by_the_inbox(
    settings: MessagingSettings, receiver: Receiver, inbox: Inbox, tmp_path: Path
) -> None:
    async with one_path(settings, directory=tmp_path, inbox=inbox) as path, running(path):
        await path.started()
        once = path.event()
        await publish(settings, [once])
        await until(lambda: path.stats.delivered == 1)
        await publish(settings, [once])
        await until(lambda: path.stats.duplicates == 1)
        await until(lambda: receiver.received)
        await asyncio.sleep(0.5)  # time for a second call, had there been one
    assert receiver.ids() == [str(once.id)]


async def test_a_webhook_failing_three_times_is_delivered_once_after_backing_off(
    settings: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.script("/hook", fail_first(3))
    async with one_path(settings, directory=tmp_path) as path, running(path):
        await path.started()
        await publish(settings, [path.event()])
        await until(lambda: len(receiver.received) >= 4)
        await _until_status(path, "succeeded")
    tries = receiver.received
    assert len(tries) == 4
    assert len(set(receiver.ids())) == 1
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(tries)]
    assert all(gap >= 0.02 for gap in gaps), gaps  # the schedule's floor
    assert [status for status, _ in await _attempts(path)] == [503, 503, 503, 200]


async def _until_status(path: OnePath, status: str, count: int = 1, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while (await path.statuses())[status] < count:
        assert time.monotonic() < deadline, await path.statuses()
        await asyncio.sleep(0.05)


async def test_an_always_failing_delivery_is_given_up_then_redelivered_by_the_operator(
    settings: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.script("/hook", always(500))
    schedule = fast(timedelta(seconds=1))
    async with one_path(settings, directory=tmp_path, schedule=schedule) as path, running(path):
        await path.started()
        doomed = path.event()
        await publish(settings, [doomed])
        await _until_status(path, "dead")
        calls = len(receiver.ids())
        assert calls >= 2
        assert set(await _attempts(path)) == {(500, "HTTP 500")}
        receiver.script("/hook", always(200))
        redeliver = RedeliverWebhookRangeHandler(path.kernel)
        now = datetime.now(UTC)
        again = await redeliver(
            Operator(path.tenant_id), _route_id(path), now - timedelta(hours=1), now + timedelta(hours=1)
        )
        assert again == 1
        await _until_status(path, "succeeded")
    assert receiver.ids() == [str(doomed.id)] * (calls + 1)
    assert path.stats.dead_lettered == 0  # the consumer's part was done at once


async def test_a_replay_while_the_consumer_runs_moves_only_what_was_dead_when_it_began(
    settings: MessagingSettings, tmp_path: Path
) -> None:
    dead_at_start = 100
    async with one_path(settings, directory=tmp_path) as path, running(path):
        await path.started()
        # Poison: each replayed message bounces back to the dead-letter queue.
        await asyncio.to_thread(_publish_raw, settings, [_poison(n) for n in range(dead_at_start)])
        await until(lambda: path.stats.dead_lettered == dead_at_start, what=lambda: path.stats)
        replayed = await asyncio.wait_for(asyncio.to_thread(dlq_replay, settings), timeout=60)
        assert replayed == dead_at_start
        await until(lambda: path.stats.dead_lettered == 2 * dead_at_start, what=lambda: path.stats)
    dead = await asyncio.to_thread(dlq_list, settings, 10 * dead_at_start)
    assert len(dead) == dead_at_start


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
    settings: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    goods, poisons = SCALE
    settings = evolve(settings, prefetch=200, lanes=16)
    async with one_path(settings, directory=tmp_path) as path, running(path):
        await path.started()
        good_events = [path.event() for _ in range(goods)]
        every = goods // poisons
        for start in range(0, goods, every):
            await publish(settings, good_events[start : start + every])
            await asyncio.to_thread(_publish_raw, settings, [_poison(start // every)])
        # A liveness bound, not a speed check: room for 5 events/s on a loaded machine.
        within = max(30.0, goods / 5)
        await until(lambda: len(set(receiver.ids())) >= goods, within=within, what=lambda: path.stats)
        await until(lambda: path.stats.dead_lettered == poisons)
    assert sorted(receiver.ids()) == sorted(str(e.id) for e in good_events)
    dead = await asyncio.to_thread(dlq_list, settings, 10_000)
    assert len(dead) == poisons
    reasons = {d.reason.split(":")[0] + ":" + d.reason.split(":")[1].split(" ")[1] for d in dead}
    assert reasons == {"poison:body", "poison:unknown", "poison:missing"}
    assert await asyncio.to_thread(dlq_purge, settings) == poisons


async def test_a_410_pauses_the_route_keeps_its_events_and_a_restart_resumes_it(
    settings: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.script("/hook", always(410))
    async with one_path(settings, directory=tmp_path) as path:
        async with running(path):
            await path.started()
            first, second = path.event(), path.event()
            await publish(settings, [first])
            await until(lambda: receiver.received)
            await until(lambda: path.stats.delivered == 1)
            await publish(settings, [second])
            await until(lambda: path.stats.delivered == 2)
            await asyncio.sleep(0.5)  # time for a call to the paused route, had there been one
            async with path.kernel.uow(path.tenant_id) as uow:
                route = await uow.webhooks.get(_route_id(path))
            assert route is not None
            assert not route.active
            assert route.paused_reason is not None
            assert "410 Gone" in route.paused_reason
        assert len(receiver.received) == 1
        assert path.stats.dead_lettered == 0
        receiver.script("/hook", always(200))
        # The next start syncs the routes again, which resumes it: the held events go out.
        restarted = path.restarted(settings)
        async with running(restarted):
            await restarted.started()
            await publish(settings, [third := path.event()])
            await until(lambda: len(receiver.received) >= 4)
    # Three aggregates: no order between them, and the first went out twice (410, then 200).
    assert sorted(receiver.ids()) == sorted(str(e.id) for e in (first, first, second, third))


async def test_an_older_version_sent_after_a_newer_one_is_delivered_not_dropped(
    settings: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    # As after a replay from the dead-letter queue: the receiver orders by version, Lana drops nothing.
    async with one_path(settings, directory=tmp_path) as path, running(path):
        await path.started()
        newer = path.event(type=CUSTOMER_UPDATED, version=3)
        older = path.event(type=CUSTOMER_UPDATED, version=2, aggregate_id=newer.aggregate_id)
        await publish(settings, [newer, older])
        await until(lambda: len(receiver.received) >= 2)
    assert receiver.ids() == [str(newer.id), str(older.id)]
    assert [r.document()["aggregate_version"] for r in receiver.received] == [3, 2]
    assert path.stats.dead_lettered == 0


async def test_a_webhook_slower_than_the_heartbeat_keeps_the_connection_and_is_not_called_twice(
    settings: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    settings = evolve(settings, heartbeat_seconds=2, webhook_timeout_seconds=12)
    receiver.script("/hook", slow(8))
    async with one_path(settings, directory=tmp_path) as path, running(path):
        await path.started()
        await publish(settings, [path.event()])
        await _until_status(path, "succeeded", within=20)
        await asyncio.sleep(1)
    assert len(receiver.received) == 1
    assert path.stats.sessions == 1
    assert path.stats.unsettled == 0
    assert await asyncio.to_thread(depth, settings, Topology.of(settings).queue) == 0


async def test_a_200_without_content_length_ended_by_closing_the_connection_is_delivered_once(
    settings: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.answer_unframed("/hook")
    async with one_path(settings, directory=tmp_path) as path, running(path):
        await path.started()
        once = path.event()
        await publish(settings, [once])
        await _until_status(path, "succeeded")
        await asyncio.sleep(0.5)  # longer than the first retry delay: a retry would have come
    assert receiver.ids() == [str(once.id)]
    assert [status for status, _ in await _attempts(path)] == [200]


async def test_the_seeds_route_gets_the_seeds_body_signed_and_other_routes_lanas_envelope(
    settings: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    settings = evolve(
        settings,
        webhook_routes=parse_routes(
            f"customer.created.high_value={receiver.url('/high-value-customer')},"
            f" customer.*={receiver.url('/crm')}, #={receiver.url('/seed')} format=seed"
        ),
    )
    schedule = fast(timedelta(seconds=1))
    async with one_path(settings, directory=tmp_path, schedule=schedule) as path, running(path):
        await path.started()
        high = path.event(type=CUSTOMER_CREATED_HIGH_VALUE, payload={"name": "Grace", "value": "high"})
        created = path.event(aggregate_id=high.aggregate_id, payload={"name": "Grace"})
        elsewhere = path.event(type="project.created")
        await publish(settings, [high, created, elsewhere])
        await until(lambda: len(receiver.received) >= 2)
        await _until_status(path, "dead")  # the event the seed's body cannot carry
    [seed] = [r for r in receiver.received if r.path == "/high-value-customer"]
    assert seed.document()["type"] == "customer.created.high_value"
    assert seed.document()["data"]["value"] == "HIGH"
    assert webhook_signing.verify(SECRET, seed.headers, seed.body, now=time.time())
    [lana] = [r for r in receiver.received if r.path == "/crm"]
    assert lana.document()["payload"] == {"name": "Grace"}
    assert not [r for r in receiver.received if r.path == "/seed"]
    errors = {error for status, error in await _attempts(path) if status is None}
    assert errors
    assert all("the seed format carries" in (error or "") for error in errors)
    async with path.engine.connect() as conn:
        query = select(webhook_deliveries.c.event_id).where(webhook_deliveries.c.status == "dead")
        assert [row.event_id for row in await conn.execute(query)] == [elsewhere.id]
