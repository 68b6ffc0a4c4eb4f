"""100 customers x 100 updates through the broker to the operator's route while some webhook
calls fail and are retried: every event is applied exactly once, and never a lower version of
a customer after a higher one (a retried delivery holds back its customer's later ones, and
only those)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from attrs import evolve

from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_core.domain.events import CUSTOMER_UPDATED, DomainEvent
from tests.integration.messaging.events import event
from tests.integration.messaging.one_path import one_path
from tests.integration.messaging.receiver import Received, Receiver
from tests.integration.messaging.running import publish, running, until

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]
CUSTOMERS = 100
UPDATES = 100
FAILED_CALLS = 3  # about a second of retries, while other customers' events flow


class FlakyApplier:
    """A receiver script that fails the first calls of the ``failing`` events and records, in
    order, the events it applied (answered 2xx)."""

    def __init__(self, failing: set[str]) -> None:
        self._failing = failing
        self._lock = threading.Lock()
        self.applied: list[str] = []
        self.retried = 0

    def __call__(self, request: Received, seen: int) -> int:
        if request.event_id in self._failing and seen <= FAILED_CALLS:
            self.retried += 1
            return 503
        with self._lock:
            self.applied.append(request.event_id)
        return 200


def _updates(tenant: UUID) -> Iterator[DomainEvent]:
    """Version 1 of every customer, then version 2 of every one, and so on."""
    customers = [uuid4() for _ in range(CUSTOMERS)]
    for version in range(1, UPDATES + 1):
        for customer in customers:
            yield event(type=CUSTOMER_UPDATED, tenant_id=tenant, aggregate_id=customer, version=version)


async def test_a_consumer_never_applies_a_lower_version_after_a_higher_one(
    messaging: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    settings = evolve(messaging, webhook_routes=(WebhookRoute("#", receiver.url("/hook")),))
    async with one_path(settings, directory=tmp_path) as path:
        sent = list(_updates(path.tenant_id))
        versions = {str(e.id): (e.aggregate_id, e.aggregate_version) for e in sent}
        applier = FlakyApplier({str(e.id) for e in sent[::37]})  # spread over customers and versions
        receiver.script("/hook", applier)
        async with running(path):
            await path.started()
            await publish(settings, sent)
            await until(lambda: len(set(applier.applied)) >= len(sent), within=900, what=lambda: path.stats)
        statuses = await path.statuses()
    top: dict[UUID, int] = {}
    regressions = 0
    for event_id in applier.applied:
        customer, version = versions[event_id]
        regressions += version < top.get(customer, 0)
        top[customer] = max(version, top.get(customer, 0))
    print(f"\nordering: {len(sent)} events, {statuses}, {regressions} regressions")
    assert regressions == 0
    assert sorted(applier.applied) == sorted(versions)  # every event, nothing twice
    assert applier.retried > 0  # the failures were retried
    assert statuses["dead"] == 0  # and none was given up to keep the order
