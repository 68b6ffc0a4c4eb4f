"""Webhook subscriptions over HTTP: the secret is shown on create and rotation only, URLs
a server must not call are refused (unless the operator allows them), every mistake is a
4xx problem, and the delivery log and redelivery answer for the subscription's own
deliveries only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lana_adapters.settings import Settings
from lana_adapters.sql import SqlSettings, create_engine_from
from lana_adapters.sql.uow import SqlUnitOfWorkFactory
from lana_core.domain.webhooks import OperatorRoute, WebhookFormat
from lana_core.memory import NoCache
from lana_core.system import SystemClock, TimeOrderedIds
from lana_core.usecases._base import Kernel
from lana_core.usecases.webhooks import SyncOperatorWebhooksHandler
from lana_http import create_app
from tests.e2e.api import Api
from tests.e2e.conftest import http_settings, make_container
from tests.integration.sql.databases import sqlite_database

HOOK = {"url": "https://hooks.example.com/lana", "event_types": ["customer.*"], "filters": ["value = high"]}


async def _create(api: Api, **changes: Any) -> dict[str, Any]:
    response = await api.post("/webhooks", json={**HOOK, **changes})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _problem_fields(response: Any) -> set[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return {error["field"] for error in response.json().get("errors", [])}


async def test_the_secret_is_shown_on_create_and_on_rotation_only(api: Api) -> None:
    created = await _create(api)
    webhook, secret = created["webhook"], created["secret"]

    read = await api.get(f"/webhooks/{webhook['id']}")
    listed = await api.get("/webhooks")
    rotated = await api.post(f"/webhooks/{webhook['id']}/rotate-secret")

    assert secret.startswith("whsec_")
    assert webhook["filters"] == ["value = high"]
    assert (webhook["format"], webhook["active"], webhook["version"]) == ("lana", True, 1)
    assert read.status_code == 200
    assert read.json() == webhook
    assert read.headers["etag"] == '"1"'
    assert [item["id"] for item in listed.json()["items"]] == [webhook["id"]]
    assert secret not in read.text + listed.text
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in (secret, None)
    assert rotated.json()["webhook"]["version"] == 2


async def test_pausing_resuming_and_deleting(api: Api) -> None:
    webhook = (await _create(api))["webhook"]
    path = f"/webhooks/{webhook['id']}"

    paused = await api.patch(path, json={"active": False}, headers={"If-Match": '"1"'})
    stale = await api.patch(path, json={"active": True}, headers={"If-Match": '"1"'})
    resumed = await api.patch(path, json={"active": True, "filters": []})
    deleted = await api.request("DELETE", path)

    assert paused.status_code == 200, paused.text
    assert (paused.json()["active"], paused.json()["paused_reason"]) == (False, "paused by an admin")
    assert stale.status_code == 412
    assert (resumed.json()["active"], resumed.json()["filters"]) == (True, [])
    assert deleted.status_code == 204
    assert (await api.get(path)).status_code == 404


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"url": "http://127.0.0.1:5678/hook"}, {"url"}),
        ({"url": "http://169.254.169.254/latest/meta-data"}, {"url"}),
        ({"url": "http://[fd00:ec2::254]/"}, {"url"}),
        ({"url": "file:///etc/passwd"}, {"url"}),
        ({"event_types": []}, {"event_types"}),
        ({"event_types": ["customer.*", "Customer Created"]}, {"event_types[1]"}),
        ({"filters": ["value ~ high"]}, {"filters[0]"}),
        ({"format": "seed"}, {"event_types[0]"}),
    ],
)
async def test_what_may_not_be_subscribed_is_refused_with_the_field_named(
    api: Api, changes: dict[str, Any], fields: set[str]
) -> None:
    response = await api.post("/webhooks", json={**HOOK, **changes})

    assert response.status_code == 422, response.text
    assert _problem_fields(response) == fields
    assert (await api.get("/webhooks")).json()["items"] == []


async def test_malformed_bodies_are_refused_before_the_domain(api: Api) -> None:
    for body in ({**HOOK, "secret": "mine"}, {**HOOK, "format": "xml"}, {"url": "https://x.example.com"}):
        response = await api.post("/webhooks", json=body)
        assert response.status_code == 400, response.text


async def test_the_delivery_log_and_redelivery_answer_for_the_subscriptions_own_deliveries(api: Api) -> None:
    webhook = (await _create(api))["webhook"]
    path = f"/webhooks/{webhook['id']}"

    deliveries = await api.get(f"{path}/deliveries")
    attempts = await api.get(f"{path}/attempts", params={"limit": 5})
    unknown = await api.post(f"{path}/deliveries/{uuid4()}/redeliver")
    ranged = await api.post(
        f"{path}/redeliver", json={"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}
    )
    backwards = await api.post(
        f"{path}/redeliver", json={"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    )

    assert deliveries.json() == {"items": [], "next_cursor": None}
    assert attempts.json() == {"items": [], "next_cursor": None}
    assert unknown.status_code == 404
    assert (ranged.status_code, ranged.json()) == (202, {"redelivered": 0})
    assert backwards.status_code == 422
    assert _problem_fields(backwards) == {"to"}


async def test_only_admins_reach_webhooks(api: Api) -> None:
    manager = await api.as_role("manager")

    assert (await manager.get("/webhooks")).status_code == 403
    assert (await manager.post("/webhooks", json=HOOK)).status_code == 403


@pytest.fixture
async def permissive(tmp_path: Path) -> AsyncIterator[Api]:
    """An app whose operator allows private webhook addresses (LANA_WEBHOOK_ALLOW_PRIVATE)."""
    settings = Settings.from_env(
        {"LANA_DATABASE_URL": sqlite_database(tmp_path), "LANA_WEBHOOK_ALLOW_PRIVATE": "true"}
    )
    app: Litestar = create_app(make_container(settings), http_settings())
    async with AsyncTestClient(app) as client:
        yield await Api.signup(client)


async def test_an_operator_may_allow_private_addresses_for_development(permissive: Api) -> None:
    created = await _create(permissive, url="http://127.0.0.1:5678/webhook/high-value-customer")

    assert created["webhook"]["url"] == "http://127.0.0.1:5678/webhook/high-value-customer"


async def test_the_operators_routes_are_listed_masked_and_refused_to_changes(tmp_path: Path) -> None:
    database = sqlite_database(tmp_path)
    app: Litestar = create_app(
        make_container(Settings.from_env({"LANA_DATABASE_URL": database})), http_settings()
    )
    async with AsyncTestClient(app) as client:
        api = await Api.signup(client)
        await _sync_routes(database, api.slug, "http://n8n:hunter2@127.0.0.1:5678/webhook/a?token=t0ken")
        [route] = (await api.get("/webhooks")).json()["items"]
        path = f"/webhooks/{route['id']}"
        refused = [
            await api.patch(path, json={"active": False}),
            await api.delete(path),
            await api.post(f"{path}/rotate-secret"),
            await api.post(
                f"{path}/redeliver", json={"from": "2026-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}
            ),
        ]
        listed = await api.get("/webhooks")
    assert route["owner"] == "operator"
    assert route["url"] == "http://***@127.0.0.1:5678/webhook/a?token=***"
    for response in refused:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "operator" in response.json()["detail"]
    assert listed.json()["items"] == [route]


async def _sync_routes(database: str, slug: str, url: str) -> None:
    """What ``lana consume`` does at a tenant's first event: the routes become its subscriptions."""
    engine = create_engine_from(SqlSettings(url=database))
    try:
        kernel = Kernel(
            uow=SqlUnitOfWorkFactory(engine), clock=SystemClock(), ids=TimeOrderedIds(), cache=NoCache()
        )
        async with kernel.uow(uuid4()) as uow:  # tenants are read by slug before scoping
            tenant = await uow.tenants.get_by_slug(slug)
        assert tenant is not None
        routes = [OperatorRoute(pattern="#", url=url, format=WebhookFormat.LANA, secret="s")]
        await SyncOperatorWebhooksHandler(kernel)(tenant.id, routes)
    finally:
        await engine.dispose()
