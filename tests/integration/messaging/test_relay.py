"""The relay moves committed events to the bus: nothing rolled back, nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

import pytest

from lana_adapters.messaging.outcome import OneByOne
from lana_adapters.messaging.relay import OutboxRelay, RelayOptions, in_aggregate_order
from lana_core.domain.events import CUSTOMER_UPDATED, PROJECT_CREATED, DomainEvent
from lana_core.errors import Conflict, Unavailable
from lana_core.memory import InMemoryEventBus, InMemoryOutboxRelayStore, InMemoryStore, ManualClock
from lana_core.ports import OutboxRecord, OutboxRelayStore
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from tests.integration.messaging.backends import BACKENDS, Backend
from tests.integration.messaging.events import event
from tests.integration.messaging.running import until_drained
from tests.support import START, make_kernel, make_tenant

# Pairs of overlapping transactions per run: the full thousand in CI, fewer locally.
TRIALS = 1_000 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 200


class Recorder:
    """Subscribes to every event of a bus and counts deliveries per event id."""

    def __init__(self, bus: InMemoryEventBus | None = None) -> None:
        self.seen: list[DomainEvent] = []
        if bus is not None:
            bus.subscribe("#", self.record)

    async def record(self, event: DomainEvent) -> None:
        self.seen.append(event)

    def counts(self) -> Counter[UUID]:
        return Counter(e.id for e in self.seen)


def relay_to(store: OutboxRelayStore, bus: InMemoryEventBus, **options: object) -> OutboxRelay:
    return OutboxRelay(store, OneByOne(bus.publish), RelayOptions(**options))  # type: ignore[arg-type]


async def drain(relay: OutboxRelay) -> None:
    while await relay.run_once():
        pass


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_rolled_back_transactions_publish_nothing(backend: Backend) -> None:
    admin = await make_tenant(backend.kernel)
    bus = InMemoryEventBus()
    recorder = Recorder(bus)
    committed: set[UUID] = set()
    for trial in range(1_000):
        written = event(tenant_id=admin.tenant_id)
        async with backend.kernel.uow(admin.tenant_id) as uow:
            await uow.outbox.append([written])
            if trial % 10 == 0:
                await uow.commit()
                committed.add(written.id)
            elif trial % 3 == 1:
                await uow.rollback()
            # otherwise the block ends without commit, which rolls back
    create = CreateCustomerHandler(backend.kernel)
    await create(admin, CreateCustomer(name="Ada", email="ada@x.io"))
    with pytest.raises(Conflict):
        await create(admin, CreateCustomer(name="Ada", email="ada@x.io"))
    await drain(relay_to(backend.store, bus))
    trials = [e.id for e in recorder.seen if e.payload == {"name": "Grace"}]
    assert sorted(trials) == sorted(committed)
    others = sorted(e.type for e in recorder.seen if e.id not in committed)
    assert others == ["customer.created", "tenant.created", "user.created"]  # the tenant and one "Ada"


@pytest.mark.parametrize(
    "backend", [BACKENDS[0], BACKENDS[2]], indirect=True
)  # SQLite takes its write lock at BEGIN: its transactions cannot overlap
async def test_a_row_committed_after_a_later_one_is_still_delivered(backend: Backend) -> None:
    admin = await make_tenant(backend.kernel)
    bus = InMemoryEventBus()
    recorder = Recorder(bus)
    relay = relay_to(backend.store, bus)
    await drain(relay)
    early_ids: list[UUID] = []
    for _round in range(TRIALS // 20):
        early = [backend.kernel.uow(admin.tenant_id) for _ in range(20)]
        firsts = [event(tenant_id=admin.tenant_id) for _ in early]
        for uow, first in zip(early, firsts, strict=True):
            await uow.__aenter__()
            await uow.outbox.append([first])
        for _ in early:
            async with backend.kernel.uow(admin.tenant_id) as late:
                await late.outbox.append([event(tenant_id=admin.tenant_id)])
                await late.commit()
        await drain(relay)
        assert not {f.id for f in firsts} & set(recorder.counts())
        for uow in early:
            await uow.commit()
            await uow.__aexit__(None, None, None)
        early_ids += [f.id for f in firsts]
        await drain(relay)
    counts = recorder.counts()
    assert all(counts[i] == 1 for i in early_ids)
    assert len(counts) == 2 * TRIALS + 2  # and the tenant's two
    assert set(counts.values()) == {1}


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_several_relays_deliver_each_event_once(backend: Backend) -> None:
    admin = await make_tenant(backend.kernel)
    for n in range(300):
        async with backend.kernel.uow(admin.tenant_id) as uow:
            await uow.outbox.append([event(tenant_id=admin.tenant_id, payload={"n": n})])
            await uow.commit()
    bus = InMemoryEventBus()
    recorder = Recorder(bus)
    relays = [relay_to(backend.store, bus, batch_size=7) for _ in range(3)]
    await asyncio.gather(*(drain(r) for r in relays))
    assert len(recorder.counts()) == 302
    assert set(recorder.counts().values()) == {1}
    assert await backend.store.pending_count() == 0


class _Refuse:
    """Refuses events of one type a number of times (forever with ``times=None``), records the rest."""

    def __init__(self, event_type: str, times: int | None, recorder: Recorder) -> None:
        self.event_type, self.left, self.recorder = event_type, times, recorder

    async def __call__(self, event: DomainEvent) -> None:
        if event.type == self.event_type and (self.left is None or self.left > 0):
            self.left = None if self.left is None else self.left - 1
            raise Unavailable("no route for this one")
        await self.recorder.record(event)


class _Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def _committed(store: InMemoryStore, *events: DomainEvent) -> None:
    kernel = make_kernel(store=store)
    for e in events:
        async with kernel.uow(e.tenant_id) as uow:
            await uow.outbox.append([e])
            await uow.commit()


async def test_a_refused_event_holds_back_its_aggregates_later_events_until_it_goes() -> None:
    store, clock, ticker = InMemoryStore(), ManualClock(START), _Ticker()
    first = event(version=1)
    second = event(
        type=CUSTOMER_UPDATED, tenant_id=first.tenant_id, aggregate_id=first.aggregate_id, version=2
    )
    other = event(type=CUSTOMER_UPDATED, tenant_id=first.tenant_id)
    await _committed(store, first, second, other)
    bus, recorder = InMemoryEventBus(), Recorder()
    bus.subscribe("#", _Refuse(first.type, 2, recorder))
    relay = OutboxRelay(
        InMemoryOutboxRelayStore(store, clock),
        OneByOne(bus.publish),
        RelayOptions(lease_seconds=5, retry_seconds=5),
        monotonic=ticker,
    )
    await relay.run_once()
    assert [e.id for e in recorder.seen] == [other.id]
    for _ in range(2):  # the retry is due: second comes with first, and must still wait behind it
        clock.advance(timedelta(seconds=6))
        ticker.now += 6
        await relay.run_once()
    assert [e.id for e in recorder.seen if e.aggregate_id == first.aggregate_id] == [first.id, second.id]
    assert store.outbox == {}


async def test_an_event_refused_max_attempts_times_is_dead_and_frees_its_aggregate() -> None:
    store, clock = InMemoryStore(), ManualClock(START)
    doomed = event(type=PROJECT_CREATED)
    after = event(
        type=CUSTOMER_UPDATED, tenant_id=doomed.tenant_id, aggregate_id=doomed.aggregate_id, version=2
    )
    await _committed(store, doomed, after)
    bus, recorder = InMemoryEventBus(), Recorder()
    bus.subscribe("#", _Refuse(PROJECT_CREATED, None, recorder))
    relay = OutboxRelay(
        InMemoryOutboxRelayStore(store, clock),
        OneByOne(bus.publish),
        RelayOptions(lease_seconds=1, retry_seconds=1, max_attempts=3),
    )
    for _ in range(3):
        await relay.run_once()
        clock.advance(timedelta(seconds=2))
    assert store.dead_letters[doomed.id].attempts == 3
    await relay.run_once()
    assert [e.id for e in recorder.seen] == [after.id]
    assert relay.stats.dead == 1


async def test_a_stop_mid_batch_marks_what_went_and_leaves_the_rest_for_later() -> None:
    store, clock = InMemoryStore(), ManualClock(START)
    events = [event() for _ in range(10)]
    await _committed(store, *events)
    stop = asyncio.Event()
    bus = InMemoryEventBus()
    recorder = Recorder(bus)

    async def stop_after_three(_event: DomainEvent) -> None:
        if len(recorder.seen) == 3:
            stop.set()

    bus.subscribe("#", stop_after_three)
    relay = OutboxRelay(
        InMemoryOutboxRelayStore(store, clock), OneByOne(bus.publish), RelayOptions(lease_seconds=5)
    )
    await relay.run(stop)
    assert len(recorder.seen) == 3
    assert len(store.outbox) == 7
    assert all(row.attempts == 0 for row in store.outbox.values())
    clock.advance(timedelta(seconds=6))
    await drain(relay)
    assert recorder.counts() == Counter({e.id: 1 for e in events})


class _FlakyStore:
    """The in-memory relay store, unavailable for its first ``outages`` calls of ``method``."""

    def __init__(self, inner: OutboxRelayStore, method: str, outages: int) -> None:
        self.inner, self.method, self.outages = inner, method, outages

    def _check(self, method: str) -> None:
        if method == self.method and self.outages > 0:
            self.outages -= 1
            raise Unavailable("the database is restarting")

    async def claim(self, limit: int, lease_seconds: float) -> Sequence[OutboxRecord]:
        self._check("claim")
        return await self.inner.claim(limit, lease_seconds)

    async def renew(self, event_ids: Sequence[UUID], lease_seconds: float) -> None:
        await self.inner.renew(event_ids, lease_seconds)

    async def mark_published(self, event_ids: Sequence[UUID]) -> None:
        self._check("mark_published")
        await self.inner.mark_published(event_ids)

    async def mark_failed(self, event_id: UUID, error: str, *, dead: bool) -> None:
        await self.inner.mark_failed(event_id, error, dead=dead)

    async def pending_count(self) -> int:
        return await self.inner.pending_count()


@pytest.mark.parametrize("method", ["claim", "mark_published"])
async def test_a_database_outage_pauses_the_relay_and_loses_nothing(method: str) -> None:
    store, clock = InMemoryStore(), ManualClock(START)
    events = [event() for _ in range(20)]
    await _committed(store, *events)
    bus = InMemoryEventBus()
    recorder = Recorder(bus)
    flaky = _FlakyStore(InMemoryOutboxRelayStore(store, clock), method, outages=3)
    relay = OutboxRelay(flaky, OneByOne(bus.publish), RelayOptions(batch_size=5, backoff_max_seconds=0.05))
    stop = asyncio.Event()
    runner = asyncio.create_task(relay.run(stop))
    await until_drained(flaky)
    stop.set()
    await runner
    assert recorder.counts() == Counter({e.id: 1 for e in events})
    assert relay.stats.outages == 3


def test_each_aggregates_events_are_put_in_version_order_in_their_own_slots() -> None:
    a3, a1 = event(version=3), event(version=1)
    a1 = DomainEvent(**{**_as_dict(a1), "aggregate_id": a3.aggregate_id})
    b = event(version=9)
    assert in_aggregate_order([a3, b, a1]) == [a1, b, a3]


def _as_dict(e: DomainEvent) -> dict[str, object]:
    return {name: getattr(e, name) for name in e.__slots__ if not name.startswith("__")}
