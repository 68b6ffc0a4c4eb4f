"""Webhook subscriptions in SQL: not stored there yet; every call says so."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NoReturn
from uuid import UUID

from lana_adapters.sql.tx import Tx
from lana_core.domain.pagination import Page, PageRequest
from lana_core.domain.webhooks import Delivery, DeliveryAttempt, Subscription, WebhookEvent
from lana_core.errors import Unavailable


class SqlWebhookRepository:
    """Placeholder until the webhook tables land."""

    __slots__ = ("_tx",)

    def __init__(self, tx: Tx) -> None:
        self._tx = tx

    async def add(self, subscription: Subscription) -> None:
        _missing()

    async def get(self, subscription_id: UUID) -> Subscription | None:
        _missing()

    async def update(self, subscription: Subscription) -> None:
        _missing()

    async def delete(self, subscription: Subscription) -> None:
        _missing()

    async def list(self, page: PageRequest) -> Page[Subscription]:
        _missing()

    async def list_all(self) -> Sequence[Subscription]:
        _missing()

    async def enqueue(
        self, event: WebhookEvent, subscriptions: Sequence[Subscription], now: datetime
    ) -> Sequence[Delivery]:
        _missing()

    async def get_delivery(self, delivery_id: UUID) -> Delivery | None:
        _missing()

    async def deliveries(self, subscription_id: UUID, page: PageRequest) -> Page[Delivery]:
        _missing()

    async def attempts(
        self, subscription_id: UUID, page: PageRequest, *, delivery_id: UUID | None = None
    ) -> Page[DeliveryAttempt]:
        _missing()

    async def redeliver(
        self,
        subscription_id: UUID,
        now: datetime,
        *,
        delivery_id: UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        _missing()


def _missing() -> NoReturn:
    raise Unavailable("webhook subscriptions are not stored in SQL yet")
