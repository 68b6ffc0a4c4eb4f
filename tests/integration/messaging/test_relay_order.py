"""Several relays on one SQL outbox keep each aggregate's events in order: a relay never
claims an event while an earlier one of its aggregate is leased by another relay."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID, uuid4

import pytest

from lana_adapters.messaging.outcome import OneByOne
from lana_adapters.messaging.relay import OutboxRelay, RelayOptions
from lana_core.domain.events import CUSTOMER_UPDATED, DomainEvent
from lana_core.errors import Unavailable
from tests.integration.messaging.backends import SQL_BACKENDS, Backend
from tests.integration.messaging.events import event
from tests.integration.messaging.running import until_drained
from tests.support import make_tenant

AGGREGATES = 40
VERSIONS = 12
RELAYS = 4


class SlowFlakyBroker:
    """Publishes with random pauses (so relays overlap) and refuses one publish in ten once;
    records the order in which each aggregate's events went out."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._refused: set[UUID] = set()
        self.sent: dict[UUID, list[int]] = defaultdict(list)

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        for e in events:
            await asyncio.sleep(self._rng.uniform(0, 0.004))
            if e.id not in self._refused and self._rng.random() < 0.1:
                self._refused.add(e.id)
                raise Unavailable("refused once")
            self.sent[e.aggregate_id].append(e.aggregate_version)


async def _write_interleaved(backend: Backend, tenant_id: UUID) -> list[UUID]:
    """Version 1 of every aggregate, then version 2 of every one, and so on."""
    aggregates = [uuid4() for _ in range(AGGREGATES)]
    for version in range(1, VERSIONS + 1):
        async with backend.kernel.uow(tenant_id) as uow:
            await uow.outbox.append(
                [
                    event(type=CUSTOMER_UPDATED, tenant_id=tenant_id, aggregate_id=a, version=version)
                    for a in aggregates
                ]
            )
            await uow.commit()
    return aggregates


@pytest.mark.parametrize("backend", SQL_BACKENDS, indirect=True)
async def test_several_relays_publish_each_aggregates_events_in_order(backend: Backend) -> None:
    admin = await make_tenant(backend.kernel)
    aggregates = await _write_interleaved(backend, admin.tenant_id)
    broker = SlowFlakyBroker(random.Random(5))
    # A refusal leaves the rest of its batch leased until the lease runs out, so the lease
    # sets the pace; 0.3 s also ran out mid-publish on a loaded machine (two test workers),
    # and a second relay published the same event again: at-least-once as designed, but not
    # what this test looks at. One second holds through such stalls and keeps it short.
    options = RelayOptions(
        batch_size=9, lease_seconds=1.0, retry_seconds=0.3, poll_seconds=0.01, max_attempts=50
    )
    relays = [OutboxRelay(backend.store, OneByOne(broker.publish), options) for _ in range(RELAYS)]
    stop = asyncio.Event()
    runners = [asyncio.create_task(relay.run(stop)) for relay in relays]
    try:
        await until_drained(backend.store, within=120)
    finally:
        stop.set()
        await asyncio.gather(*runners)
    assert all(relay.stats.published for relay in relays)  # the work really was shared
    assert sum(relay.stats.failed for relay in relays) > 0  # and refusals left rows for retry
    expected = list(range(1, VERSIONS + 1))
    out_of_order = {a: broker.sent[a] for a in aggregates if broker.sent[a] != expected}
    assert out_of_order == {}
