"""A receiver that fails some calls, or hangs past the timeout after doing its work: every event
still reaches it through the operator's route (a subscription like any other), in order per
aggregate, and none is dead-lettered or given up for the order's sake.

Reported as lost / duplicated at the receiver / order inversions (see ``checker``): lost and
inversions must be 0; duplicates are expected only where the receiver timed out after it had
applied an event, and it drops them by event id.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from attrs import evolve

from lana_adapters.messaging.dlq import dlq_list
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_core.domain.events import CUSTOMER_CREATED, CUSTOMER_UPDATED, DomainEvent
from tests.integration.messaging.checker import check
from tests.integration.messaging.events import event
from tests.integration.messaging.one_path import OnePath, one_path
from tests.integration.messaging.receiver import Received, Receiver
from tests.integration.messaging.running import publish, running, until

pytestmark = pytest.mark.rabbitmq
CUSTOMERS = 60
VERSIONS = 8


def _history(tenant: UUID) -> list[DomainEvent]:
    """Each customer created, then updated: version 1 of every customer, then version 2, …"""
    customers = [uuid4() for _ in range(CUSTOMERS)]
    return [
        event(
            type=CUSTOMER_CREATED if version == 1 else CUSTOMER_UPDATED,
            tenant_id=tenant,
            aggregate_id=customer,
            version=version,
        )
        for version in range(1, VERSIONS + 1)
        for customer in customers
    ]


class Flaky:
    """Answers 503 to a ``failure_rate`` share of calls (seeded), 200 to the rest, and records the
    events it accepted, in order."""

    def __init__(self, failure_rate: float, seed: int = 7) -> None:
        self._rate = failure_rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.applied: list[str] = []
        self.failed = 0

    def __call__(self, request: Received, _seen: int) -> int:
        with self._lock:
            if self._rng.random() < self._rate:
                self.failed += 1
                return 503
            self.applied.append(request.event_id)
            return 200


class Hanging:
    """Applies every event; for a ``share`` of them it then hangs past the caller's timeout
    before answering (the caller gives up and sends the event again). Drops copies by event id,
    as a receiver keyed on ``Idempotency-Key`` does, and counts them."""

    def __init__(self, share: float, hang_seconds: float, seed: int = 11) -> None:
        self._share = share
        self._hang = hang_seconds
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.applied: list[str] = []  # every call that did the work, copies included
        self.copies = 0
        self.hung = 0

    def __call__(self, request: Received, seen: int) -> int:
        with self._lock:
            self.applied.append(request.event_id)
            if seen > 1:
                self.copies += 1
                return 200
            hang = self._rng.random() < self._share
            self.hung += hang
        if hang:
            time.sleep(self._hang)
        return 200


def _consumer_settings(
    messaging: MessagingSettings, receiver: Receiver, **changes: object
) -> MessagingSettings:
    route = (WebhookRoute("#", receiver.url("/hook")),)
    return evolve(messaging, webhook_routes=route, **changes)


async def test_a_receiver_failing_30_percent_of_calls_gets_every_event_in_order(
    messaging: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    flaky = Flaky(failure_rate=0.3)
    receiver.script("/hook", flaky)
    settings = _consumer_settings(messaging, receiver)
    async with one_path(settings, directory=tmp_path) as path:
        history = _history(path.tenant_id)
        async with running(path):
            await path.started()
            await publish(settings, history)
            await until(lambda: len(set(flaky.applied)) >= len(history), within=180, what=lambda: path.stats)
        report = check(history, flaky.applied)
        print(f"\n30 % failing receiver: {report}; {flaky.failed} calls failed; {path.stats}")
        assert (report.lost, report.inversions, report.duplicates) == (0, 0, 0)
        assert flaky.failed > len(history) // 5  # the receiver did fail about 30 % of calls
        await _nothing_given_up(path, settings)


async def test_a_receiver_hanging_past_the_timeout_after_its_work_gets_no_older_version_after_a_newer(
    messaging: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    hanging = Hanging(share=0.1, hang_seconds=1.5)
    receiver.script("/hook", hanging)
    settings = _consumer_settings(messaging, receiver, webhook_timeout_seconds=1)
    async with one_path(settings, directory=tmp_path) as path:
        history = _history(path.tenant_id)
        async with running(path):
            await path.started()
            await publish(settings, history)
            await until(
                lambda: len(set(hanging.applied)) >= len(history), within=180, what=lambda: path.stats
            )
        report = check(history, hanging.applied)
        print(f"\nreceiver hanging past the timeout: {report}; {hanging.hung} calls hung; {path.stats}")
        assert (report.lost, report.inversions) == (0, 0)
        assert hanging.hung > 0
        assert report.duplicates == hanging.copies  # only the calls that timed out came again
        await _nothing_given_up(path, settings)


async def _nothing_given_up(path: OnePath, settings: MessagingSettings) -> None:
    """No event dead-lettered by the consumer, no delivery given up by the sender."""
    assert path.stats.dead_lettered == 0
    assert len(await asyncio.to_thread(dlq_list, settings)) == 0
    assert (await path.statuses())["dead"] == 0
