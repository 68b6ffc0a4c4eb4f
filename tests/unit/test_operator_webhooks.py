"""The operator's routes as subscriptions of a tenant: synced from the routes, owed an event
only as the first matching route, and read-only to the tenant's admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from attrs import evolve

from lana_core.domain.events import CUSTOMER_CREATED, CUSTOMER_UPDATED
from lana_core.domain.pagination import PageRequest
from lana_core.domain.tenancy import Actor, Operator
from lana_core.domain.webhooks import OperatorRoute, Subscription, SubscriptionSpec, WebhookFormat, owed_to
from lana_core.errors import PermissionDenied
from lana_core.usecases._base import Kernel
from lana_core.usecases.webhooks import (
    ChangeWebhook,
    DeleteWebhookHandler,
    ListWebhooksHandler,
    PauseWebhookHandler,
    RedeliverWebhookRangeHandler,
    RotateWebhookSecretHandler,
    SyncOperatorWebhooksHandler,
    UpdateWebhookHandler,
)
from tests.support import make_kernel, make_tenant

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def route(pattern: str, url: str = "http://127.0.0.1:5678/webhook/a", secret: str = "s") -> OperatorRoute:
    return OperatorRoute(pattern=pattern, url=url, format=WebhookFormat.LANA, secret=secret)


async def _listed(kernel: Kernel, admin: Actor) -> list[Subscription]:
    return list((await ListWebhooksHandler(kernel)(admin, PageRequest(limit=50))).items)


async def test_a_sync_makes_one_subscription_per_route_changes_nothing_twice_and_follows_the_routes() -> None:
    kernel = make_kernel()
    admin = await make_tenant(kernel)
    sync = SyncOperatorWebhooksHandler(kernel)
    routes = [route("customer.*"), route("#", "http://n8n/b"), route("customer.*", "http://never")]
    assert await sync(admin.tenant_id, routes) == 2  # a repeated pattern is never matched: dropped
    made = {s.event_types: s for s in await _listed(kernel, admin)}
    assert {k: (s.url, s.operator_rank, s.secret) for k, s in made.items()} == {
        ("customer.*",): ("http://127.0.0.1:5678/webhook/a", 0, "s"),
        ("#",): ("http://n8n/b", 1, "s"),
    }
    assert await sync(admin.tenant_id, routes) == 0
    await PauseWebhookHandler(kernel)(Operator(admin.tenant_id), made[("#",)].id, "410 Gone")
    assert await sync(admin.tenant_id, [route("#", "http://n8n/c", secret="t")]) == 2
    [left] = await _listed(kernel, admin)
    assert (left.url, left.secret, left.operator_rank, left.active) == ("http://n8n/c", "t", 0, True)


async def test_the_tenants_admins_see_the_operators_subscriptions_but_cannot_change_them() -> None:
    kernel = make_kernel()
    admin = await make_tenant(kernel)
    await SyncOperatorWebhooksHandler(kernel)(admin.tenant_id, [route("#")])
    [mine] = await _listed(kernel, admin)
    assert mine.by_operator
    attempts = [
        UpdateWebhookHandler(kernel)(admin, ChangeWebhook(subscription_id=mine.id, url="http://x")),
        PauseWebhookHandler(kernel)(admin, mine.id, "mine now"),
        RotateWebhookSecretHandler(kernel)(admin, mine.id),
        DeleteWebhookHandler(kernel)(admin, mine.id),
        RedeliverWebhookRangeHandler(kernel)(admin, mine.id, NOW, NOW + timedelta(days=1)),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="operator"):
            await attempt
    assert await _listed(kernel, admin) == [mine]


def _subscription(pattern: str, rank: int | None) -> Subscription:
    spec = SubscriptionSpec(url="http://x", event_types=(pattern,), filters=(), format=WebhookFormat.LANA)
    made = Subscription.create(id=uuid4(), tenant_id=uuid4(), spec=spec, created_by=None, now=NOW)
    return evolve(made, operator_rank=rank)


def test_an_event_is_owed_to_the_first_matching_route_and_every_tenant_subscription_that_wants_it() -> None:
    first, catch_all = _subscription("customer.updated", 0), _subscription("#", 1)
    own, other = _subscription("customer.*", None), _subscription("task.*", None)
    everyone = [catch_all, other, own, first]
    assert owed_to(everyone, CUSTOMER_UPDATED, {}) == [own, first]
    assert owed_to(everyone, CUSTOMER_CREATED, {}) == [catch_all, own]
    assert owed_to(everyone, "task.created", {}) == [catch_all, other]
