"""The delivery worker's view of an in-memory store: claim due webhook deliveries, record tries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

from lana_core.domain.webhooks import Delivery, DeliveryAttempt
from lana_core.memory._store import InMemoryStore, TenantSpace
from lana_core.ports import ClaimedDelivery, Clock


class InMemoryWebhookDeliveryQueue:
    """A :class:`~lana_core.ports.WebhookDeliveryQueue` over the deliveries committed to ``store``.

    A claim scans the open deliveries only (pending or failed), so its cost follows the
    backlog, not the history.
    """

    __slots__ = ("_clock", "_store")

    def __init__(self, store: InMemoryStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def claim(self, limit: int, lease_seconds: float) -> Sequence[ClaimedDelivery]:
        now = self._clock.now()
        until = now + timedelta(seconds=lease_seconds)
        leases = self._store.delivery_leases
        candidates: list[ClaimedDelivery] = []
        for space in self._store.spaces():
            candidates.extend(_heads(space))
        candidates.sort(key=lambda claimed: claimed.delivery.sequence)
        claimed: list[ClaimedDelivery] = []
        for candidate in candidates:
            if len(claimed) >= limit:
                break
            delivery = candidate.delivery
            lease = leases.get(delivery.id)
            if delivery.next_attempt_at > now or not candidate.subscription.active or (lease and lease > now):
                continue
            leases[delivery.id] = until
            claimed.append(candidate)
        return claimed

    async def record(self, delivery: Delivery, attempt: DeliveryAttempt) -> None:
        self._record(delivery, attempt)

    async def record_many(self, outcomes: Sequence[tuple[Delivery, DeliveryAttempt]]) -> None:
        for delivery, attempt in outcomes:
            self._record(delivery, attempt)

    def _record(self, delivery: Delivery, attempt: DeliveryAttempt) -> None:
        space = self._store.peek(delivery.tenant_id)
        stored = space.deliveries.rows.get(delivery.id)
        # Gone with its subscription, or this attempt recorded by a sender that held the
        # delivery after this one's lease ended: nothing to record.
        if stored is None or stored.attempts != attempt.number - 1:
            return
        self._store.delivery_leases.pop(delivery.id, None)
        space.deliveries.rows[delivery.id] = delivery
        if delivery.status.is_open:
            space.open_deliveries[delivery.id] = None
        else:
            space.open_deliveries.pop(delivery.id, None)
        space.delivery_attempts.setdefault(delivery.subscription_id, []).append(attempt)

    async def open_count(self) -> int:
        return sum(len(space.open_deliveries) for space in self._store.spaces())


def _heads(space: TenantSpace) -> list[ClaimedDelivery]:
    """The earliest open delivery of each subscription and aggregate, with its subscription."""
    heads: dict[tuple[UUID, UUID], Delivery] = {}
    for delivery_id in space.open_deliveries:
        delivery = space.deliveries.rows[delivery_id]
        key = (delivery.subscription_id, delivery.aggregate_id)
        head = heads.get(key)
        if head is None or delivery.sequence < head.sequence:
            heads[key] = delivery
    return [
        ClaimedDelivery(delivery=delivery, subscription=space.webhooks.rows[delivery.subscription_id])
        for delivery in heads.values()
    ]
