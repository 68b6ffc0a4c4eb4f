"""The outbox as the relay sees it: committed events claimed oldest first under a lease, then settled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID, uuid4

from lana_core.domain.events import DomainEvent
from lana_core.domain.tenancy import Actor
from lana_core.memory import ManualClock
from lana_core.ports import OutboxRecord, OutboxRelayStore
from lana_core.usecases._base import Kernel
from lana_testing.contract import builders
from lana_testing.contract.fixtures import adapters, admin, clock, kernel, relay
from lana_testing.support import make_tenant


async def _drain(relay: OutboxRelayStore) -> None:
    """Settle whatever tenant creation put in the outbox, so each test starts from an empty backlog."""
    await relay.mark_published([r.event.id for r in await relay.claim(1_000, 60)])


async def _commit_events(kernel: Kernel, admin: Actor, clock: ManualClock, count: int) -> list[DomainEvent]:
    events = []
    for _ in range(count):
        event = builders.event(admin.tenant_id, uuid4(), clock.now())
        async with kernel.uow(admin.tenant_id) as uow:
            await uow.outbox.append([event])
            await uow.commit()
        events.append(event)
    return events


async def _claimed_once(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, clock: ManualClock, count: int
) -> list[DomainEvent]:
    """``count`` new events in an outbox that held none, claimed once with a 30-second lease."""
    await _drain(relay)
    events = await _commit_events(kernel, admin, clock, count)
    await relay.claim(10, 30)
    return events


def _ids(records: Sequence[OutboxRecord]) -> list[UUID]:
    return [r.event.id for r in records]


async def test_claims_return_committed_events_oldest_first_up_to_the_limit(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, clock: ManualClock
) -> None:
    await _drain(relay)
    events = await _commit_events(kernel, admin, clock, 5)

    first = await relay.claim(3, 30)
    second = await relay.claim(3, 30)

    assert _ids(first) == [e.id for e in events[:3]]
    assert _ids(second) == [e.id for e in events[3:]]


async def test_a_leased_row_is_hidden_until_its_lease_ends(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, clock: ManualClock
) -> None:
    [event] = await _claimed_once(kernel, relay, admin, clock, 1)

    clock.advance(timedelta(seconds=29))
    assert await relay.claim(10, 30) == []
    clock.advance(timedelta(seconds=2))
    assert _ids(await relay.claim(10, 30)) == [event.id]


async def test_a_renewed_lease_hides_pending_rows_from_now_and_leaves_published_ones_alone(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, clock: ManualClock
) -> None:
    await _drain(relay)
    events = await _commit_events(kernel, admin, clock, 2)
    await relay.claim(10, 2)
    await relay.mark_published([events[0].id])

    clock.advance(timedelta(seconds=1.5))
    await relay.renew([e.id for e in events], 2)
    clock.advance(timedelta(seconds=1.5))
    assert await relay.claim(10, 2) == []  # the first lease would have ended
    clock.advance(timedelta(seconds=1))
    assert _ids(await relay.claim(10, 2)) == [events[1].id]
    assert await relay.pending_count() == 1


async def test_published_rows_are_never_claimed_again(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, clock: ManualClock
) -> None:
    events = await _claimed_once(kernel, relay, admin, clock, 2)

    await relay.mark_published([events[0].id])
    clock.advance(timedelta(minutes=5))

    assert _ids(await relay.claim(10, 30)) == [events[1].id]
    assert await relay.pending_count() == 1


async def test_a_failed_row_is_retried_after_its_lease_with_its_attempts_and_error(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, clock: ManualClock
) -> None:
    [event] = await _claimed_once(kernel, relay, admin, clock, 1)

    await relay.mark_failed(event.id, "broker unreachable", dead=False)
    clock.advance(timedelta(seconds=31))
    [record] = await relay.claim(10, 30)

    assert (record.event.id, record.attempts, record.last_error) == (event.id, 1, "broker unreachable")
    assert await relay.pending_count() == 1


async def test_a_dead_row_is_never_claimed_again_and_leaves_the_backlog(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, clock: ManualClock
) -> None:
    [event] = await _claimed_once(kernel, relay, admin, clock, 1)

    await relay.mark_failed(event.id, "rejected by the broker", dead=True)
    clock.advance(timedelta(hours=1))

    assert await relay.claim(10, 30) == []
    assert await relay.pending_count() == 0


async def test_events_of_every_tenant_reach_the_relay(
    kernel: Kernel, relay: OutboxRelayStore, admin: Actor, clock: ManualClock
) -> None:
    other = await make_tenant(kernel, "globex")
    await _drain(relay)
    mine = await _commit_events(kernel, admin, clock, 1)
    theirs = await _commit_events(kernel, other, clock, 1)

    claimed = await relay.claim(10, 30)

    assert _ids(claimed) == [mine[0].id, theirs[0].id]
    assert [r.event.tenant_id for r in claimed] == [admin.tenant_id, other.tenant_id]


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "relay",
    "test_claims_return_committed_events_oldest_first_up_to_the_limit",
    "test_a_leased_row_is_hidden_until_its_lease_ends",
    "test_a_renewed_lease_hides_pending_rows_from_now_and_leaves_published_ones_alone",
    "test_published_rows_are_never_claimed_again",
    "test_a_failed_row_is_retried_after_its_lease_with_its_attempts_and_error",
    "test_a_dead_row_is_never_claimed_again_and_leaves_the_backlog",
    "test_events_of_every_tenant_reach_the_relay",
]
