"""100 customers x 100 updates through the broker while some webhook calls fail and are
retried: every event is applied exactly once, and never a lower version of a customer after
a higher one (a retried event holds back its customer's later events, and only those)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from attrs import evolve

from lana_adapters.messaging.consumer import WebhookConsumer
from lana_adapters.messaging.inbox import SqlInbox
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_adapters.sql import SqlSettings, create_engine_from
from lana_core.domain.events import CUSTOMER_UPDATED, DomainEvent
from tests.integration.messaging.events import event
from tests.integration.messaging.receiver import Received, Receiver
from tests.integration.messaging.running import publish, running, until
from tests.integration.sql.databases import sqlite_database

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]
CUSTOMERS = 100
UPDATES = 100
FAILED_CALLS = 3  # 0.7 s of retries, while other customers' events flow


class FlakyApplier:
    """A receiver script that fails the first calls of the ``failing`` events and records, in
    order, the events it applied (answered 2xx)."""

    def __init__(self, failing: set[str]) -> None:
        self._failing = failing
        self._lock = threading.Lock()
        self.applied: list[str] = []

    def __call__(self, request: Received, seen: int) -> int:
        if request.event_id in self._failing and seen <= FAILED_CALLS:
            return 503
        with self._lock:
            self.applied.append(request.event_id)
        return 200


def _updates() -> Iterator[DomainEvent]:
    """Version 1 of every customer, then version 2 of every one, and so on."""
    customers, tenant = [uuid4() for _ in range(CUSTOMERS)], uuid4()
    for version in range(1, UPDATES + 1):
        for customer in customers:
            yield event(type=CUSTOMER_UPDATED, tenant_id=tenant, aggregate_id=customer, version=version)


async def test_a_consumer_never_applies_a_lower_version_after_a_higher_one(
    messaging: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    sent = list(_updates())
    versions: dict[str, tuple[UUID, int]] = {str(e.id): (e.aggregate_id, e.aggregate_version) for e in sent}
    applier = FlakyApplier({str(e.id) for e in sent[::37]})  # spread over customers and versions
    receiver.script("/hook", applier)
    settings = evolve(messaging, webhook_routes=(WebhookRoute("#", receiver.url("/hook")),), max_attempts=10)
    engine = create_engine_from(SqlSettings(url=sqlite_database(tmp_path)))
    async with SqlInbox(engine) as inbox:
        consumer = WebhookConsumer(settings, inbox)
        async with running(consumer):
            await until(lambda: consumer.stats.sessions >= 1)
            await publish(settings, sent)
            # Counted at the receiver: after a dropped connection the broker redelivers what was
            # delivered but not yet acknowledged, and the consumer counts those as duplicates.
            await until(
                lambda: len(set(applier.applied)) >= len(sent), within=300, what=lambda: consumer.stats
            )
    await engine.dispose()
    top: dict[UUID, int] = {}
    regressions = 0
    for event_id in applier.applied:
        customer, version = versions[event_id]
        regressions += version < top.get(customer, 0)
        top[customer] = max(version, top.get(customer, 0))
    print(f"\nordering: {len(sent)} events, {consumer.stats}, {regressions} regressions")
    assert regressions == 0
    assert sorted(applier.applied) == sorted(versions)  # every event, nothing twice
    assert consumer.stats.retried > 0  # the failures were retried
    assert consumer.stats.dead_lettered == 0  # and none was dropped to keep the order
