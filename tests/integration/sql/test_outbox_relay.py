"""The outbox as the relay sees it: claims by state under a lease, settled only when told."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import attrs
import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql import NOTIFY_CHANNEL, SqlOutboxRelayStore
from lana_core.domain.events import DomainEvent
from lana_core.domain.tenancy import Actor
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from tests.contract import builders

LEASE = 30.0


@pytest.fixture
def relay(engine: AsyncEngine, clock: ManualClock) -> SqlOutboxRelayStore:
    return SqlOutboxRelayStore(engine, clock)


async def _commit(kernel: Kernel, admin: Actor, count: int, clock: ManualClock) -> list[DomainEvent]:
    events = [builders.event(admin.tenant_id, uuid4(), clock.now()) for _ in range(count)]
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.outbox.append(events)
        await uow.commit()
    return events


@pytest.fixture
async def drained(relay: SqlOutboxRelayStore, admin: Actor) -> None:
    """The events the tenant's creation wrote are published, so each test starts empty."""
    await relay.mark_published([record.event.id for record in await relay.claim(100, LEASE)])


@pytest.mark.usefixtures("drained")
async def test_a_claim_leases_rows_so_a_second_claim_gets_none_until_the_lease_ends(
    kernel: Kernel, admin: Actor, relay: SqlOutboxRelayStore, clock: ManualClock
) -> None:
    events = await _commit(kernel, admin, 3, clock)

    first = await relay.claim(10, LEASE)
    assert [record.event for record in first] == events
    assert await relay.claim(10, LEASE) == []

    clock.advance(timedelta(seconds=LEASE))
    assert [record.event.id for record in await relay.claim(10, LEASE)] == [e.id for e in events]


@pytest.mark.usefixtures("drained")
async def test_published_rows_leave_and_unsettled_ones_stay_pending(
    kernel: Kernel, admin: Actor, relay: SqlOutboxRelayStore, clock: ManualClock
) -> None:
    events = await _commit(kernel, admin, 3, clock)
    await relay.claim(10, LEASE)

    await relay.mark_published([events[0].id])

    assert await relay.pending_count() == 2
    clock.advance(timedelta(seconds=LEASE))
    assert [record.event.id for record in await relay.claim(10, LEASE)] == [events[1].id, events[2].id]


@pytest.mark.usefixtures("drained")
async def test_a_failure_is_counted_keeps_the_lease_and_is_retried_after_it(
    kernel: Kernel, admin: Actor, relay: SqlOutboxRelayStore, clock: ManualClock
) -> None:
    [event] = await _commit(kernel, admin, 1, clock)
    await relay.claim(10, LEASE)

    await relay.mark_failed(event.id, "broker said no", dead=False)
    await relay.mark_failed(event.id, "broker still says no", dead=False)

    assert await relay.claim(10, LEASE) == []
    clock.advance(timedelta(seconds=LEASE))
    [record] = await relay.claim(10, LEASE)
    assert (record.attempts, record.last_error) == (2, "broker still says no")


@pytest.mark.usefixtures("drained")
async def test_a_dead_row_is_never_claimed_again(
    kernel: Kernel, admin: Actor, relay: SqlOutboxRelayStore, clock: ManualClock
) -> None:
    [event] = await _commit(kernel, admin, 1, clock)
    await relay.claim(10, LEASE)

    await relay.mark_failed(event.id, "poison", dead=True)

    clock.advance(timedelta(days=1))
    assert await relay.claim(10, LEASE) == []
    assert await relay.pending_count() == 0


@pytest.mark.usefixtures("drained")
async def test_the_trace_context_travels_with_the_event(
    kernel: Kernel, admin: Actor, relay: SqlOutboxRelayStore, clock: ManualClock
) -> None:
    traced = attrs.evolve(
        builders.event(admin.tenant_id, uuid4(), clock.now()),
        trace_context={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
    )
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.outbox.append([traced])
        await uow.commit()

    [record] = await relay.claim(10, LEASE)
    assert record.event == traced


@pytest.mark.postgres
async def test_a_row_committed_after_a_later_numbered_row_is_still_claimed(
    pg_engine: AsyncEngine, pg_kernel: Kernel, pg_admin: Actor, clock: ManualClock
) -> None:
    kernel, admin, relay = pg_kernel, pg_admin, SqlOutboxRelayStore(pg_engine, clock)
    await relay.mark_published([record.event.id for record in await relay.claim(100, LEASE)])
    early = builders.event(admin.tenant_id, uuid4(), clock.now())
    late = builders.event(admin.tenant_id, uuid4(), clock.now() + timedelta(seconds=1))
    async with kernel.uow(admin.tenant_id) as slow:
        await slow.outbox.append([early])
        async with kernel.uow(admin.tenant_id) as fast:
            await fast.outbox.append([late])
            await fast.commit()
        assert [r.event.id for r in await relay.claim(10, LEASE)] == [late.id]
        await relay.mark_published([late.id])
        await slow.commit()

    assert [r.event.id for r in await relay.claim(10, LEASE)] == [early.id]


@pytest.mark.postgres
async def test_concurrent_relays_never_claim_the_same_row(
    pg_engine: AsyncEngine, pg_kernel: Kernel, pg_admin: Actor, clock: ManualClock
) -> None:
    relays = [SqlOutboxRelayStore(pg_engine, clock) for _ in range(4)]
    await relays[0].mark_published([record.event.id for record in await relays[0].claim(100, LEASE)])
    events = await _commit(pg_kernel, pg_admin, 200, clock)

    async def drain(relay: SqlOutboxRelayStore) -> list[object]:
        claimed: list[object] = []
        while batch := await relay.claim(7, LEASE):
            claimed.extend(record.event.id for record in batch)
        return claimed

    batches = await asyncio.gather(*(drain(relay) for relay in relays))

    claimed = [event_id for batch in batches for event_id in batch]
    assert sorted(claimed) == sorted(e.id for e in events)  # every row once, none twice


@pytest.mark.postgres
async def test_a_commit_to_the_outbox_notifies_the_relay(
    postgres_url: str, pg_kernel: Kernel, pg_admin: Actor, clock: ManualClock
) -> None:
    dsn = make_url(postgres_url).set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as listener:
        await listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        await _commit(pg_kernel, pg_admin, 2, clock)
        notice = await asyncio.wait_for(anext(listener.notifies()), timeout=5)

    assert notice.channel == NOTIFY_CHANNEL


async def test_claims_stamp_leases_with_the_relays_clock(
    kernel: Kernel, admin: Actor, engine: AsyncEngine
) -> None:
    early = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    relay = SqlOutboxRelayStore(engine, early)
    await relay.claim(100, LEASE)

    later = SqlOutboxRelayStore(engine, ManualClock(early.now() + timedelta(seconds=LEASE)))
    assert len(await later.claim(100, LEASE)) > 0
