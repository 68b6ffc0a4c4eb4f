"""Lana and a real n8n, both ways: Lana's high-value customers reach the shipped workflow
(deploy/n8n/high-value-customer.json), which writes a note back through Lana's API with an
API key (the note belongs to the key's creator, and its timeline entry names the key); and
with n8n stopped for a minute under traffic, every event arrives once it is back.

Everything runs as deployed: ``lana serve``, ``lana relay`` and ``lana consume`` on PostgreSQL
and RabbitMQ, and n8n (from ``deploy/n8n/install.sh``) on a PostgreSQL database of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from attrs import evolve

from lana_adapters.messaging.settings import MessagingSettings, parse_routes
from tests.integration.messaging.deployed import lana, serve_settings, serving
from tests.integration.messaging.n8n import N8N_ENV, START_SECONDS, WORKFLOW, N8n, n8n_unavailable
from tests.integration.sql.databases import fresh_postgres_database, postgres_unavailable

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.slow]

WORKFLOW_ID = json.loads(WORKFLOW.read_text())["id"]
WEBHOOK_PATH = "/webhook/high-value-customer"
CUSTOMERS_OF_EACH_KIND = 3
OUTAGE_SECONDS = 60.0
TRAFFIC_EVERY_SECONDS = 10.0
# Retries every 5 s for a few minutes: an outage of a minute and n8n's restart fit in it.
RETRY_DELAYS_MS = (1_000, 2_000, 5_000)
MAX_ATTEMPTS = 60
ARRIVAL_SECONDS = 240.0

# Starts delivering Lana's high-value customers to the webhook URL for the length of a block.
Delivery = Callable[[str], AbstractAsyncContextManager[None]]


@pytest.fixture
def n8n_home() -> Path:
    reason = n8n_unavailable() or postgres_unavailable()
    if reason is not None:
        pytest.skip(reason)
    return Path(os.environ[N8N_ENV])


@pytest.fixture
def lana_database(n8n_home: Path) -> str:
    return fresh_postgres_database()  # lana serve migrates it and creates the first tenant


@pytest.fixture
def delivery(messaging: MessagingSettings, lana_database: str, tmp_path: Path) -> Delivery:
    """How events reach n8n: the ``customer.created.high_value`` route of ``lana consume``
    (``LANA_WEBHOOK_ROUTES``, the seed's body), fed by ``lana relay``."""

    @asynccontextmanager
    async def deliver(webhook_url: str) -> AsyncIterator[None]:
        route = f"customer.created.high_value={webhook_url} format=seed"
        settings = evolve(
            messaging,
            webhook_routes=parse_routes(route),
            retry_delays_ms=RETRY_DELAYS_MS,
            max_attempts=MAX_ATTEMPTS,
        )
        env = {**settings.as_env(), "LANA_DATABASE_URL": lana_database, "LANA_LOG_FORMAT": "json"}
        async with (
            lana(["relay"], env, tmp_path / "relay.log"),
            lana(["consume"], env, tmp_path / "consume.log"),
        ):
            yield

    return deliver


async def test_n8n_writes_a_note_back_for_every_high_value_customer_even_across_its_outage(
    n8n_home: Path, lana_database: str, delivery: Delivery, tmp_path: Path
) -> None:
    started = time.monotonic()
    serve_log = tmp_path / "serve.log"
    async with serving(serve_settings(lana_database), serve_log, within=START_SECONDS) as (client, admin):
        key, token = await _api_key(client, admin)
        n8n = N8n(n8n_home, fresh_postgres_database(), tmp_path, _workflow_settings(client, token))
        await asyncio.to_thread(n8n.import_and_publish, WORKFLOW, WORKFLOW_ID)
        customers = Customers(client, admin)
        async with delivery(n8n.url + WEBHOOK_PATH):
            async with n8n.running():
                await customers.create_some()
                await customers.until_noted()
                assert await _successes(n8n, len(customers.high_value)) >= len(customers.high_value)
            # n8n is down: Lana keeps taking customers, and their events wait for it.
            outage_started = time.monotonic()
            while time.monotonic() - outage_started < OUTAGE_SECONDS:
                await customers.create_some(1)
                await asyncio.sleep(TRAFFIC_EVERY_SECONDS)
            async with n8n.running():
                await customers.until_noted()
                executions = await _successes(n8n, len(customers.high_value))
        notes = await customers.notes()
    print(
        f"\nn8n both ways: {len(customers.high_value)} high-value and {len(customers.other)} other"
        f" customers, {executions} successful executions, one outage of {OUTAGE_SECONDS:.0f} s;"
        f" test ran {time.monotonic() - started:.0f} s"
    )
    # Every high-value customer got exactly one note (a repeated call replays the first answer)…
    noted = {customer: len(notes[customer]) for customer in customers.high_value}
    assert noted == dict.fromkeys(customers.high_value, 1)
    # …written from the seed's body it received, and no other customer got one.
    assert all(not notes[customer] for customer in customers.other)
    for customer, (note,) in ((c, notes[c]) for c in customers.high_value):
        assert note["interaction"]["type"] == "note"
        assert customers.names[customer] in note["interaction"]["content"]
        # The key acts for the admin who made it (who owns the note), and the note is attributed
        # to the key on the timeline.
        assert note["actor_id"] == key["created_by"]
        assert note["api_key"] == {"id": key["id"], "name": key["name"]}
        assert note["interaction"]["recorded_by_api_key"] == note["api_key"]
    # At least once each: a call that timed out (n8n slow to answer) is made again and runs the
    # workflow again; the note's Idempotency-Key keeps that to one note, as checked above.
    assert executions >= len(customers.high_value)


class Customers:
    """The customers a test created through Lana's API, high-value and other."""

    def __init__(self, client: httpx.AsyncClient, admin: dict[str, str]) -> None:
        self.client, self.admin = client, admin
        self.high_value: list[str] = []
        self.other: list[str] = []
        self.names: dict[str, str] = {}

    async def create_some(self, count: int = CUSTOMERS_OF_EACH_KIND) -> None:
        for _ in range(count):
            self.high_value.append(await self._create("high"))
            self.other.append(await self._create("low"))

    async def _create(self, value: str) -> str:
        number = len(self.names) + 1
        name = f"{value.title()} value customer {number}"
        body = {"name": name, "value": value, "company": "Example Ltd", "email": f"buyer{number}@example.com"}
        response = await self.client.post("/api/v1/customers", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        customer: str = response.json()["id"]
        self.names[customer] = name
        return customer

    async def notes(self) -> dict[str, list[dict[str, Any]]]:
        """Each customer's interactions on its timeline (only n8n records any in this test)."""
        return {customer: await self._notes_of(customer) for customer in self.names}

    async def until_noted(self) -> None:
        """Wait until every high-value customer shows a note on its timeline, reading only the
        timelines still without one (all of them every second would pass the rate limit)."""
        deadline = time.monotonic() + ARRIVAL_SECONDS
        missing = list(self.high_value)
        while True:
            missing = [customer for customer in missing if not await self._notes_of(customer)]
            if not missing:
                return
            assert time.monotonic() < deadline, f"no note from n8n after {ARRIVAL_SECONDS} s on {missing}"
            await asyncio.sleep(2)

    async def _notes_of(self, customer: str) -> list[dict[str, Any]]:
        response = await self.client.get(f"/api/v1/customers/{customer}/timeline", headers=self.admin)
        assert response.status_code == 200, response.text
        return [entry for entry in response.json()["items"] if entry["kind"] == "interaction"]


async def _api_key(client: httpx.AsyncClient, admin: dict[str, str]) -> tuple[dict[str, Any], str]:
    """A new API key for n8n: the key (``id``, ``created_by``…) and its token."""
    body = {"name": "n8n high-value workflow", "role": "manager"}
    response = await client.post("/api/v1/api-keys", json=body, headers=admin)
    assert response.status_code == 201, response.text
    created = response.json()
    return created["key"], created["token"]


def _workflow_settings(client: httpx.AsyncClient, token: str) -> dict[str, str]:
    """What the shipped workflow reads from its environment: where Lana is and the key to use."""
    return {
        "CRM_API_URL": str(client.base_url).rstrip("/"),
        "CRM_API_KEY": token,
        # n8n 2 keeps $env from nodes unless told otherwise.
        "N8N_BLOCK_ENV_ACCESS_IN_NODE": "false",
    }


async def _successes(n8n: N8n, expected: int) -> int:
    """The workflow's successful executions, once n8n recorded ``expected`` (it saves them just
    after answering the webhook) or after a few seconds."""
    deadline = time.monotonic() + 30
    while True:
        executions = await asyncio.to_thread(n8n.executions, WORKFLOW_ID)
        if executions.get("success", 0) >= expected or time.monotonic() > deadline:
            return executions.get("success", 0)
        await asyncio.sleep(0.5)
