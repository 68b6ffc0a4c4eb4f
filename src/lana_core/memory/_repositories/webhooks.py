"""The webhook subscriptions of one tenant and the deliveries owed to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from lana_core.domain.pagination import Page, PageRequest, SortOrder
from lana_core.domain.webhooks import Delivery, DeliveryAttempt, Subscription, WebhookEvent, delivery_id
from lana_core.memory._listing import paginate
from lana_core.memory._staging import Scope

_KIND = "webhook subscription"


class InMemoryWebhookRepository:
    """Subscriptions in the tenant's space; deliveries indexed by their subscription."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def add(self, subscription: Subscription) -> None:
        self._scope.check_tenant(subscription.tenant_id, _KIND)
        self._scope.writing().webhooks.add(self._scope.space().webhooks, subscription)

    async def get(self, subscription_id: UUID) -> Subscription | None:
        return self._scope.staged.webhooks.get(self._scope.space().webhooks, subscription_id)

    async def update(self, subscription: Subscription) -> None:
        self._scope.check_tenant(subscription.tenant_id, _KIND)
        self._scope.writing().webhooks.update(self._scope.space().webhooks, subscription)

    async def delete(self, subscription: Subscription) -> None:
        """Stage the removal; its deliveries and attempts go with it at commit."""
        self._scope.check_tenant(subscription.tenant_id, _KIND)
        self._scope.writing().webhooks.remove(self._scope.space().webhooks, subscription)

    async def list(self, page: PageRequest) -> Page[Subscription]:
        return paginate(
            await self.list_all(), key=lambda s: s.created_at, kind=datetime, order=SortOrder.DESC, page=page
        )

    async def list_all(self) -> Sequence[Subscription]:
        return list(self._scope.staged.webhooks.values(self._scope.space().webhooks))

    async def enqueue(
        self, event: WebhookEvent, subscriptions: Sequence[Subscription], now: datetime
    ) -> Sequence[Delivery]:
        """Stage a delivery per subscription not yet owed the event."""
        self._scope.check_tenant(event.tenant_id, "webhook event")
        made: dict[UUID, Delivery] = {}
        for subscription in subscriptions:
            self._scope.check_tenant(subscription.tenant_id, _KIND)
            if await self.get_delivery(delivery_id(subscription.id, event.id)) is not None:
                continue
            store = self._scope.store
            store.delivery_sequence += 1
            delivery = Delivery.enqueued(subscription, event, store.delivery_sequence, now)
            self._scope.writing().deliveries.add(self._scope.space().deliveries, delivery)
            made[delivery.id] = delivery
        return tuple(made.values())

    async def get_delivery(self, delivery_id: UUID) -> Delivery | None:
        return self._scope.staged.deliveries.get(self._scope.space().deliveries, delivery_id)

    async def deliveries(self, subscription_id: UUID, page: PageRequest) -> Page[Delivery]:
        return paginate(
            self._deliveries_of(subscription_id),
            key=lambda d: d.sequence,
            kind=int,
            order=SortOrder.DESC,
            page=page,
        )

    async def attempts(
        self, subscription_id: UUID, page: PageRequest, *, delivery_id: UUID | None = None
    ) -> Page[DeliveryAttempt]:
        rows = self._scope.space().delivery_attempts.get(subscription_id, [])
        if delivery_id is not None:
            rows = [attempt for attempt in rows if attempt.delivery_id == delivery_id]
        return paginate(rows, key=lambda a: a.at, kind=datetime, order=SortOrder.DESC, page=page)

    async def redeliver(
        self,
        subscription_id: UUID,
        now: datetime,
        *,
        delivery_id: UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        chosen = [
            delivery
            for delivery in self._deliveries_of(subscription_id)
            if (delivery_id is None or delivery.id == delivery_id)
            and (since is None or delivery.event.occurred_at >= since)
            and (until is None or delivery.event.occurred_at < until)
        ]
        staged = self._scope.writing().deliveries
        for delivery in chosen:
            staged.update(self._scope.space().deliveries, delivery.redelivered(now))
        return len(chosen)

    def _deliveries_of(self, subscription_id: UUID) -> Sequence[Delivery]:
        return self._scope.staged.deliveries.children(self._scope.space().deliveries, subscription_id)
