"""Where the API process relays its own outbox: only where no other relay can exist."""

from __future__ import annotations

import pytest

from lana_adapters.embedded_relay import relays_in_process

POSTGRES = "postgresql+psycopg://lana:secret@db/lana"
RABBITMQ = "amqp://guest:guest@rabbit:5672//"


@pytest.mark.parametrize(
    ("database_url", "broker_url", "relays"),
    [
        ("sqlite+aiosqlite:///./lana.db", "memory://", True),
        ("sqlite+aiosqlite:///:memory:", "memory://", True),
        ("memory://", "memory://", True),
        # `lana relay` delivers these outboxes: a row the API took would never reach it.
        (POSTGRES, "memory://", False),
        (POSTGRES, RABBITMQ, False),
        ("sqlite+aiosqlite:///./lana.db", RABBITMQ, False),
    ],
)
def test_the_api_relays_only_an_embedded_database_with_the_in_process_broker(
    database_url: str, broker_url: str, relays: bool
) -> None:
    assert relays_in_process(database_url, broker_url) is relays
