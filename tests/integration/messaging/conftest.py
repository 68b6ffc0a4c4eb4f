"""Fixtures of the event-delivery tests: outbox backends, a real RabbitMQ with names unique to
each test (deleted afterwards), and a real local HTTP server standing in for n8n."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from lana_adapters.messaging.settings import MessagingSettings
from tests.integration.messaging.backends import Backend, open_backend
from tests.integration.messaging.broker import delete, rabbitmq_unavailable, unique_settings
from tests.integration.messaging.receiver import Receiver


@pytest.fixture
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async with open_backend(request.param) as opened:
        yield opened


@pytest.fixture(scope="session")
def rabbitmq_url() -> str:
    import os

    reason = rabbitmq_unavailable()
    if reason is not None:
        pytest.skip(reason)
    return os.environ["LANA_TEST_RABBITMQ_URL"]


@pytest.fixture
async def messaging(rabbitmq_url: str) -> AsyncIterator[MessagingSettings]:
    """Settings on the test broker with this test's own exchange and queues."""
    settings = unique_settings(rabbitmq_url)
    yield settings
    await asyncio.to_thread(delete, settings)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as server:
        yield server
