"""Webhook subscriptions and deliveries on every adapter: subscriptions are stored as made,
an event is owed once per subscription, deliveries go out in order per subscription and
aggregate under a lease, every attempt is logged, and redelivery makes them due again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from uuid import UUID, uuid4

import pytest

from lana_core.app import Lana
from lana_core.domain.events import DomainEvent
from lana_core.domain.pagination import PageRequest
from lana_core.domain.tenancy import Actor, Operator, Role
from lana_core.domain.webhooks import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Subscription,
    SubscriptionSpec,
    WebhookEvent,
)
from lana_core.errors import NotFound, PermissionDenied, StaleVersion, ValidationError
from lana_core.memory import ManualClock
from lana_core.ports import ClaimedDelivery, OutboxRelayStore, WebhookDeliveryQueue, WebhookRepository
from lana_core.usecases._base import Kernel
from lana_core.usecases.webhooks import PAUSED_BY_ADMIN, ChangeWebhook, CreateWebhook
from lana_testing.contract.fixtures import adapters, admin, clock, kernel, relay, webhook_queue
from lana_testing.support import FAST_HASHER, make_tenant, make_user

__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "lana",
    "relay",
    "test_a_bad_subscription_is_refused_whole_and_nothing_is_stored",
    "test_a_delivery_left_by_a_killed_sender_goes_out_again_first_then_its_aggregate_follows",
    "test_admins_manage_subscriptions_and_every_change_is_published_without_the_secret",
    "test_only_admins_see_or_touch_subscriptions",
    "test_the_delivery_log_and_redelivery_through_the_use_cases",
    "test_the_operator_pauses_a_subscription_saying_why",
    "test_a_deleted_subscription_takes_its_deliveries_and_log_along",
    "test_a_failed_delivery_holds_back_later_ones_of_its_aggregate_until_it_is_settled",
    "test_a_leased_delivery_is_hidden_until_its_lease_ends_then_claimed_again",
    "test_a_paused_subscription_is_sent_nothing_until_it_resumes",
    "test_a_stale_subscription_update_is_refused",
    "test_an_attempt_recorded_twice_or_after_deletion_changes_nothing",
    "test_an_event_is_owed_once_per_subscription_however_often_it_is_enqueued",
    "test_claims_go_in_enqueue_order_one_per_subscription_and_aggregate",
    "test_every_attempt_is_logged_newest_first_page_by_page",
    "test_redelivery_of_one_delivery_or_a_time_range_makes_them_due_again",
    "test_subscriptions_are_stored_as_made_and_listed_newest_first",
    "test_subscriptions_and_deliveries_stay_in_their_tenant",
    "webhook_queue",
]

LEASE = 30.0


def _spec(**changes: object) -> SubscriptionSpec:
    fields: dict[str, object] = {
        "url": "https://hooks.example.com/lana",
        "event_types": ["customer.*", "task.completed"],
        "filters": ["value = high", 'status in (active, "on hold")', "owner.role != viewer"],
        "format": "lana",
    }
    fields.update(changes)
    return SubscriptionSpec.check(allow_private=False, **fields)


async def _subscribe(kernel: Kernel, admin: Actor, clock: ManualClock, **changes: object) -> Subscription:
    subscription = Subscription.create(
        id=kernel.ids.new_id(),
        tenant_id=admin.tenant_id,
        spec=_spec(**changes),
        created_by=admin.user_id,
        now=clock.now(),
    )
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.webhooks.add(subscription)
        await uow.commit()
    return subscription


def _event(tenant_id: UUID, aggregate_id: UUID, when: datetime) -> WebhookEvent:
    event_id = uuid4()
    return WebhookEvent(
        id=event_id,
        tenant_id=tenant_id,
        type="customer.updated",
        aggregate_id=aggregate_id,
        occurred_at=when,
        body=b'{"id": "%s", "payload": {"value": "high"}}' % str(event_id).encode(),
        # Kept with the delivery, so its call continues the change's trace.
        traceparent=f"00-{event_id.hex}-{aggregate_id.hex[:16]}-01",
    )


async def _enqueue(
    kernel: Kernel, subscriptions: Sequence[Subscription], event: WebhookEvent, now: datetime
) -> Sequence[Delivery]:
    async with kernel.uow(event.tenant_id) as uow:
        made = await uow.webhooks.enqueue(event, subscriptions, now)
        await uow.commit()
    return made


async def _commit(
    kernel: Kernel, admin: Actor, write: Callable[[WebhookRepository], Awaitable[None]]
) -> None:
    async with kernel.uow(admin.tenant_id) as uow:
        await write(uow.webhooks)
        await uow.commit()


def _event_ids(claimed: Sequence[ClaimedDelivery]) -> list[UUID]:
    return [c.delivery.event_id for c in claimed]


async def _answer(
    queue: WebhookDeliveryQueue,
    claimed: ClaimedDelivery,
    clock: ManualClock,
    status_code: int | None,
    retry_in: timedelta | None = timedelta(minutes=1),
) -> Delivery:
    delivery = claimed.delivery
    attempt = DeliveryAttempt.record(
        delivery,
        at=clock.now(),
        status_code=status_code,
        latency_ms=12.4,
        response=b"ok" if status_code else None,
        error=None if status_code else "connection refused",
    )
    settled = delivery.attempted(attempt, retry_at=None if retry_in is None else clock.now() + retry_in)
    await queue.record(settled, attempt)
    return settled


async def _queued(
    kernel: Kernel, queue: WebhookDeliveryQueue, admin: Actor, clock: ManualClock, aggregates: Sequence[UUID]
) -> tuple[Subscription, list[WebhookEvent]]:
    """A new subscription of a queue with nothing else due, and an event of each of
    ``aggregates`` queued for it in that order."""
    await _drain(queue, clock)
    subscription = await _subscribe(kernel, admin, clock)
    events = [_event(admin.tenant_id, aggregate, clock.now()) for aggregate in aggregates]
    for event in events:
        await _enqueue(kernel, [subscription], event, clock.now())
    return subscription, events


async def _drain(queue: WebhookDeliveryQueue, clock: ManualClock) -> None:
    """Settle whatever earlier tests on a shared database left due, so claims here see this test's only."""
    while claimed := await queue.claim(500, LEASE):
        for each in claimed:
            await _answer(queue, each, clock, 200)


async def test_subscriptions_are_stored_as_made_and_listed_newest_first(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    first = await _subscribe(kernel, admin, clock)
    clock.advance(timedelta(seconds=1))
    second = await _subscribe(kernel, admin, clock, format="seed", event_types=["customer.created.#"])
    clock.advance(timedelta(seconds=1))
    third = await _subscribe(kernel, admin, clock, filters=[])

    async with kernel.uow(admin.tenant_id) as uow:
        stored = await uow.webhooks.get(first.id)
        page_one = await uow.webhooks.list(PageRequest(limit=2))
        page_two = await uow.webhooks.list(PageRequest.of(2, page_one.next_cursor))
        everything = await uow.webhooks.list_all()

    assert stored == first
    assert stored is not None
    assert stored.secret == first.secret
    assert stored.filter_texts == first.filter_texts
    assert [s.id for s in page_one.items] == [third.id, second.id]
    assert [s.id for s in page_two.items] == [first.id]
    assert page_two.next_cursor is None
    assert {s.id for s in everything} == {first.id, second.id, third.id}


async def test_a_stale_subscription_update_is_refused(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    subscription = await _subscribe(kernel, admin, clock)
    paused = subscription.paused("receiver down", clock.now())
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.webhooks.update(paused)
        await uow.commit()

    with pytest.raises(StaleVersion):
        await _commit(kernel, admin, lambda webhooks: webhooks.update(subscription.rotated(clock.now())))
    async with kernel.uow(admin.tenant_id) as uow:
        stored = await uow.webhooks.get(subscription.id)
    assert stored == paused
    assert stored is not None
    assert (stored.active, stored.paused_reason) == (False, "receiver down")


async def test_an_event_is_owed_once_per_subscription_however_often_it_is_enqueued(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    one = await _subscribe(kernel, admin, clock)
    two = await _subscribe(kernel, admin, clock)
    event = _event(admin.tenant_id, uuid4(), clock.now())

    first = await _enqueue(kernel, [one], event, clock.now())
    second = await _enqueue(kernel, [one, two], event, clock.now())
    third = await _enqueue(kernel, [one, two], event, clock.now())

    assert [d.subscription_id for d in first] == [one.id]
    assert [d.subscription_id for d in second] == [two.id]
    assert third == ()
    assert second[0].sequence > first[0].sequence
    async with kernel.uow(admin.tenant_id) as uow:
        stored = await uow.webhooks.get_delivery(first[0].id)
        listed = await uow.webhooks.deliveries(one.id, PageRequest())
    assert stored == first[0]
    assert stored is not None
    assert stored.event.body == event.body
    assert (stored.status, stored.attempts, stored.next_attempt_at) == (
        DeliveryStatus.PENDING,
        0,
        clock.now(),
    )
    assert [d.id for d in listed.items] == [first[0].id]


async def test_claims_go_in_enqueue_order_one_per_subscription_and_aggregate(
    kernel: Kernel, webhook_queue: WebhookDeliveryQueue, admin: Actor, clock: ManualClock
) -> None:
    alpha, beta = uuid4(), uuid4()
    subscription, events = await _queued(kernel, webhook_queue, admin, clock, [alpha, alpha, beta, alpha])

    first = await webhook_queue.claim(10, LEASE)
    assert _event_ids(first) == [events[0].id, events[2].id]
    assert all(c.subscription == subscription for c in first)
    assert await webhook_queue.claim(10, LEASE) == []

    for claimed in first:
        await _answer(webhook_queue, claimed, clock, 204)
    second = await webhook_queue.claim(10, LEASE)
    assert _event_ids(second) == [events[1].id]
    await _answer(webhook_queue, second[0], clock, 200)
    assert _event_ids(await webhook_queue.claim(10, LEASE)) == [events[3].id]


async def test_a_failed_delivery_holds_back_later_ones_of_its_aggregate_until_it_is_settled(
    kernel: Kernel, webhook_queue: WebhookDeliveryQueue, admin: Actor, clock: ManualClock
) -> None:
    aggregate = uuid4()
    _, (earlier, later) = await _queued(kernel, webhook_queue, admin, clock, [aggregate, aggregate])

    [claimed] = await webhook_queue.claim(10, LEASE)
    failed = await _answer(webhook_queue, claimed, clock, 503, retry_in=timedelta(minutes=1))

    assert (failed.status, failed.attempts) == (DeliveryStatus.FAILED, 1)
    assert await webhook_queue.claim(10, LEASE) == []
    assert await webhook_queue.open_count() >= 2
    clock.advance(timedelta(minutes=1))
    [retried] = await webhook_queue.claim(10, LEASE)
    assert retried.delivery.event_id == earlier.id
    assert retried.delivery.attempts == 1
    dead = await _answer(webhook_queue, retried, clock, None, retry_in=None)
    assert dead.status is DeliveryStatus.DEAD
    assert _event_ids(await webhook_queue.claim(10, LEASE)) == [later.id]


async def test_a_leased_delivery_is_hidden_until_its_lease_ends_then_claimed_again(
    kernel: Kernel, webhook_queue: WebhookDeliveryQueue, admin: Actor, clock: ManualClock
) -> None:
    _, [event] = await _queued(kernel, webhook_queue, admin, clock, [uuid4()])
    await webhook_queue.claim(10, LEASE)

    clock.advance(timedelta(seconds=LEASE - 1))
    assert await webhook_queue.claim(10, LEASE) == []
    clock.advance(timedelta(seconds=1))
    assert _event_ids(await webhook_queue.claim(10, LEASE)) == [event.id]


async def test_a_delivery_left_by_a_killed_sender_goes_out_again_first_then_its_aggregate_follows(
    kernel: Kernel, webhook_queue: WebhookDeliveryQueue, admin: Actor, clock: ManualClock
) -> None:
    aggregate = uuid4()
    _, (first, second) = await _queued(kernel, webhook_queue, admin, clock, [aggregate, aggregate])
    assert _event_ids(await webhook_queue.claim(10, LEASE)) == [first.id]  # then the sender is killed

    clock.advance(timedelta(seconds=LEASE / 2))
    assert await webhook_queue.claim(10, LEASE) == []  # the later event waits behind the leased one
    clock.advance(timedelta(seconds=LEASE / 2))
    again = await webhook_queue.claim(10, LEASE)
    assert _event_ids(again) == [first.id]
    await _answer(webhook_queue, again[0], clock, 200)
    assert _event_ids(await webhook_queue.claim(10, LEASE)) == [second.id]


async def test_a_paused_subscription_is_sent_nothing_until_it_resumes(
    kernel: Kernel, webhook_queue: WebhookDeliveryQueue, admin: Actor, clock: ManualClock
) -> None:
    await _drain(webhook_queue, clock)
    subscription = await _subscribe(kernel, admin, clock)
    paused = subscription.paused("maintenance", clock.now())
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.webhooks.update(paused)
        await uow.commit()
    event = _event(admin.tenant_id, uuid4(), clock.now())
    await _enqueue(kernel, [paused], event, clock.now())

    assert await webhook_queue.claim(10, LEASE) == []
    async with kernel.uow(admin.tenant_id) as uow:
        await uow.webhooks.update(paused.resumed(clock.now()))
        await uow.commit()
    [claimed] = await webhook_queue.claim(10, LEASE)
    assert claimed.delivery.event_id == event.id
    assert claimed.subscription.active


async def test_every_attempt_is_logged_newest_first_page_by_page(
    kernel: Kernel, webhook_queue: WebhookDeliveryQueue, admin: Actor, clock: ManualClock
) -> None:
    await _drain(webhook_queue, clock)
    subscription = await _subscribe(kernel, admin, clock)
    event = _event(admin.tenant_id, uuid4(), clock.now())
    [delivery] = await _enqueue(kernel, [subscription], event, clock.now())
    for status_code in (500, None, 200):
        clock.advance(timedelta(minutes=1))
        [claimed] = await webhook_queue.claim(10, LEASE)
        await _answer(webhook_queue, claimed, clock, status_code, retry_in=timedelta(0))

    async with kernel.uow(admin.tenant_id) as uow:
        page_one = await uow.webhooks.attempts(subscription.id, PageRequest(limit=2))
        page_two = await uow.webhooks.attempts(subscription.id, PageRequest.of(2, page_one.next_cursor))
        of_delivery = await uow.webhooks.attempts(subscription.id, PageRequest(), delivery_id=delivery.id)
        settled = await uow.webhooks.get_delivery(delivery.id)

    log = [*page_one.items, *page_two.items]
    assert [a.number for a in log] == [3, 2, 1]
    assert [a.status_code for a in log] == [200, None, 500]
    assert log[1].error == "connection refused"
    assert (log[0].latency_ms, log[0].response_excerpt, log[0].event_id) == (12, "ok", event.id)
    assert page_two.next_cursor is None
    assert [a.number for a in of_delivery.items] == [3, 2, 1]
    assert settled is not None
    assert (settled.status, settled.attempts, settled.last_attempt_at) == (
        DeliveryStatus.SUCCEEDED,
        3,
        clock.now(),
    )
    assert await webhook_queue.claim(10, LEASE) == []


async def test_an_attempt_recorded_twice_or_after_deletion_changes_nothing(
    kernel: Kernel, webhook_queue: WebhookDeliveryQueue, admin: Actor, clock: ManualClock
) -> None:
    await _drain(webhook_queue, clock)
    subscription = await _subscribe(kernel, admin, clock)
    await _enqueue(kernel, [subscription], _event(admin.tenant_id, uuid4(), clock.now()), clock.now())
    [claimed] = await webhook_queue.claim(10, LEASE)

    await _answer(webhook_queue, claimed, clock, 200)
    await _answer(webhook_queue, claimed, clock, 500)

    async with kernel.uow(admin.tenant_id) as uow:
        log = await uow.webhooks.attempts(subscription.id, PageRequest())
        stored = await uow.webhooks.get_delivery(claimed.delivery.id)
        await uow.webhooks.delete(subscription)
        await uow.commit()
    assert [a.status_code for a in log.items] == [200]
    assert stored is not None
    assert stored.status is DeliveryStatus.SUCCEEDED
    await _answer(webhook_queue, claimed, clock, 200)  # its subscription is gone: ignored


async def test_redelivery_of_one_delivery_or_a_time_range_makes_them_due_again(
    kernel: Kernel, webhook_queue: WebhookDeliveryQueue, admin: Actor, clock: ManualClock
) -> None:
    await _drain(webhook_queue, clock)
    subscription = await _subscribe(kernel, admin, clock)
    start = clock.now()
    events = [_event(admin.tenant_id, uuid4(), start + timedelta(hours=hour)) for hour in range(4)]
    for event in events:
        await _enqueue(kernel, [subscription], event, clock.now())
    for first in await webhook_queue.claim(10, LEASE):
        await _answer(webhook_queue, first, clock, 200)
    clock.advance(timedelta(days=1))
    later = clock.now()

    async with kernel.uow(admin.tenant_id) as uow:
        one = await uow.webhooks.get_delivery(
            (await uow.webhooks.deliveries(subscription.id, PageRequest())).items[0].id
        )
        assert one is not None
        single = await uow.webhooks.redeliver(subscription.id, later, delivery_id=one.id)
        ranged = await uow.webhooks.redeliver(
            subscription.id, later, since=start + timedelta(hours=1), until=start + timedelta(hours=3)
        )
        none = await uow.webhooks.redeliver(uuid4(), later)
        await uow.commit()

    assert (single, ranged, none) == (1, 2, 0)
    claimed = await webhook_queue.claim(10, LEASE)
    assert sorted(_event_ids(claimed)) == sorted([one.event_id, events[1].id, events[2].id])
    again = claimed[0].delivery
    assert (again.status, again.pending_since, again.attempts) == (DeliveryStatus.PENDING, later, 1)


async def test_a_deleted_subscription_takes_its_deliveries_and_log_along(
    kernel: Kernel, webhook_queue: WebhookDeliveryQueue, admin: Actor, clock: ManualClock
) -> None:
    await _drain(webhook_queue, clock)
    subscription = await _subscribe(kernel, admin, clock)
    for _ in range(2):
        await _enqueue(kernel, [subscription], _event(admin.tenant_id, uuid4(), clock.now()), clock.now())
    [claimed, _] = await webhook_queue.claim(10, LEASE)
    await _answer(webhook_queue, claimed, clock, 500)

    async with kernel.uow(admin.tenant_id) as uow:
        await uow.webhooks.delete(subscription)
        await uow.commit()

    async with kernel.uow(admin.tenant_id) as uow:
        assert await uow.webhooks.get(subscription.id) is None
        assert await uow.webhooks.get_delivery(claimed.delivery.id) is None
        assert (await uow.webhooks.deliveries(subscription.id, PageRequest())).items == ()
        assert (await uow.webhooks.attempts(subscription.id, PageRequest())).items == ()
    clock.advance(timedelta(hours=1))
    assert await webhook_queue.claim(10, LEASE) == []
    with pytest.raises(StaleVersion):
        await _commit(kernel, admin, lambda webhooks: webhooks.delete(subscription))


async def test_subscriptions_and_deliveries_stay_in_their_tenant(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    subscription = await _subscribe(kernel, admin, clock)
    [delivery] = await _enqueue(
        kernel, [subscription], _event(admin.tenant_id, uuid4(), clock.now()), clock.now()
    )
    other = await make_tenant(kernel, slug="globex")

    async with kernel.uow(other.tenant_id) as uow:
        assert await uow.webhooks.get(subscription.id) is None
        assert await uow.webhooks.list_all() == []
        assert (await uow.webhooks.list(PageRequest())).items == ()
        assert await uow.webhooks.get_delivery(delivery.id) is None
        assert (await uow.webhooks.deliveries(subscription.id, PageRequest())).items == ()
        assert await uow.webhooks.redeliver(subscription.id, clock.now()) == 0
        with pytest.raises(ValueError, match="tenant"):
            await uow.webhooks.add(subscription)


# The use cases, over the same adapters.


@pytest.fixture
def lana(kernel: Kernel) -> Lana:
    return Lana(kernel, hasher=FAST_HASHER)


def _create(**changes: object) -> CreateWebhook:
    fields: dict[str, object] = {
        "url": "https://hooks.example.com/lana",
        "event_types": ["customer.*"],
        "filters": ["value = high"],
    }
    fields.update(changes)
    return CreateWebhook(**fields)  # type: ignore[arg-type]


async def _published(relay: OutboxRelayStore) -> list[DomainEvent]:
    records = await relay.claim(1_000, 60)
    await relay.mark_published([r.event.id for r in records])
    return [r.event for r in records if r.event.type.startswith("webhook.")]


async def test_admins_manage_subscriptions_and_every_change_is_published_without_the_secret(
    lana: Lana, admin: Actor, relay: OutboxRelayStore, clock: ManualClock
) -> None:
    await _published(relay)
    created = await lana.create_webhook(admin, _create())
    clock.advance(timedelta(seconds=1))
    changed = await lana.update_webhook(
        admin, ChangeWebhook(subscription_id=created.id, filters=["status in (active, prospect)"])
    )
    paused = await lana.update_webhook(admin, ChangeWebhook(subscription_id=created.id, active=False))
    rotated = await lana.rotate_webhook_secret(admin, created.id)
    await lana.delete_webhook(admin, created.id)

    assert created.secret.startswith("whsec_")
    assert changed.filter_texts == ("status in (active, prospect)",)
    assert (paused.active, paused.paused_reason, paused.version) == (False, PAUSED_BY_ADMIN, 3)
    assert rotated.secret != created.secret
    published = await _published(relay)
    assert [e.type for e in published] == [
        "webhook.subscription.created",
        "webhook.subscription.updated",
        "webhook.subscription.paused",
        "webhook.subscription.updated",
        "webhook.subscription.deleted",
    ]
    assert all(e.actor_id == admin.user_id and e.aggregate_id == created.id for e in published)
    for event in published:
        assert created.secret not in str(event.payload)
        assert rotated.secret not in str(event.payload)
    with pytest.raises(NotFound):
        await lana.get_webhook(admin, created.id)


async def test_only_admins_see_or_touch_subscriptions(lana: Lana, kernel: Kernel, admin: Actor) -> None:
    created = await lana.create_webhook(admin, _create())
    manager = await make_user(kernel, admin, Role.MANAGER)

    with pytest.raises(PermissionDenied):
        await lana.create_webhook(manager, _create())
    with pytest.raises(PermissionDenied):
        await lana.list_webhooks(manager, PageRequest())
    with pytest.raises(PermissionDenied):
        await lana.delete_webhook(manager, created.id)
    assert [s.id for s in (await lana.list_webhooks(admin, PageRequest())).items] == [created.id]


async def test_a_bad_subscription_is_refused_whole_and_nothing_is_stored(lana: Lana, admin: Actor) -> None:
    with pytest.raises(ValidationError) as refused:
        await lana.create_webhook(
            admin,
            _create(
                url="http://169.254.169.254/latest",
                event_types=["customer.*", "Bad Pattern"],
                filters=["value ~ high"],
                format="seed",
            ),
        )
    assert {e.field for e in refused.value.errors} == {"url", "event_types[1]", "filters[0]"}
    with pytest.raises(ValidationError) as seed:
        await lana.create_webhook(admin, _create(format="seed"))
    assert [e.code for e in seed.value.errors] == ["not_in_format"]
    assert (await lana.list_webhooks(admin, PageRequest())).items == ()
    created = await lana.create_webhook(admin, _create(format="SEED", event_types=["customer.created.#"]))
    with pytest.raises(ValidationError):
        await lana.update_webhook(admin, ChangeWebhook(subscription_id=created.id, url="ftp://x"))
    with pytest.raises(StaleVersion):
        await lana.update_webhook(admin, ChangeWebhook(subscription_id=created.id, expected_version=7))
    assert await lana.get_webhook(admin, created.id) == created


async def test_the_operator_pauses_a_subscription_saying_why(
    lana: Lana, admin: Actor, relay: OutboxRelayStore
) -> None:
    created = await lana.create_webhook(admin, _create())
    await _published(relay)

    paused = await lana.pause_webhook(Operator(admin.tenant_id), created.id, "failing for 24 hours")
    again = await lana.pause_webhook(Operator(admin.tenant_id), created.id, "still failing")

    assert (paused.active, paused.paused_reason) == (False, "failing for 24 hours")
    assert again == paused
    [event] = await _published(relay)
    assert (event.type, event.actor_id) == ("webhook.subscription.paused", None)
    assert event.payload["paused_reason"] == "failing for 24 hours"


async def test_the_delivery_log_and_redelivery_through_the_use_cases(
    lana: Lana,
    kernel: Kernel,
    webhook_queue: WebhookDeliveryQueue,
    admin: Actor,
    clock: ManualClock,
) -> None:
    await _drain(webhook_queue, clock)
    created = await lana.create_webhook(admin, _create())
    other = await lana.create_webhook(admin, _create())
    event = _event(admin.tenant_id, uuid4(), clock.now())
    [delivery] = await _enqueue(kernel, [created], event, clock.now())
    [claimed] = await webhook_queue.claim(10, LEASE)
    await _answer(webhook_queue, claimed, clock, 410, retry_in=None)

    deliveries = await lana.list_webhook_deliveries(admin, created.id, PageRequest())
    log = await lana.list_webhook_attempts(admin, created.id, PageRequest(), delivery_id=delivery.id)
    clock.advance(timedelta(minutes=5))
    again = await lana.redeliver_webhook(admin, created.id, delivery.id)
    ranged = await lana.redeliver_webhook_range(
        admin, created.id, event.occurred_at, event.occurred_at + timedelta(seconds=1)
    )

    assert [(d.id, d.status) for d in deliveries.items] == [(delivery.id, DeliveryStatus.DEAD)]
    assert [(a.number, a.status_code) for a in log.items] == [(1, 410)]
    assert (again.status, again.pending_since) == (DeliveryStatus.PENDING, clock.now())
    assert ranged == 1
    assert _event_ids(await webhook_queue.claim(10, LEASE)) == [event.id]
    with pytest.raises(NotFound):
        await lana.redeliver_webhook(admin, other.id, delivery.id)
    with pytest.raises(NotFound):
        await lana.list_webhook_attempts(admin, other.id, PageRequest(), delivery_id=delivery.id)
    with pytest.raises(ValidationError):
        await lana.redeliver_webhook_range(admin, created.id, clock.now(), clock.now())
