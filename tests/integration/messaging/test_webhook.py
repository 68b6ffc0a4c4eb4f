"""One webhook delivery against a real local receiver: what a failed attempt logs and raises."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator

import pytest

from lana_adapters.messaging.handling import Transient
from lana_adapters.messaging.settings import WebhookRoute
from lana_adapters.messaging.webhook import Routes, WebhookDelivery, shown_url
from lana_adapters.messaging.webhook_client import WebhookClient
from lana_adapters.settings import Settings
from lana_adapters.telemetry import configure_logging
from tests.integration.messaging.events import event
from tests.integration.messaging.receiver import Receiver, always
from tests.integration.redis.servers import free_port


@pytest.fixture
async def client() -> AsyncIterator[WebhookClient]:
    opened = WebhookClient(2, connections=2, allow_private=True)
    yield opened
    await opened.aclose()


# Names the log filter of a configured process does not mask itself, so this tests the masking here.
SECRET_QUERY = "/hook?code=c0de-123&sig=abc"


async def test_a_failed_attempt_logs_one_warning_line_with_the_secrets_of_its_url_masked(
    receiver: Receiver, client: WebhookClient, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.script(SECRET_QUERY, always(503))
    route = WebhookRoute("customer.*", receiver.url(SECRET_QUERY).replace("//", "//n8n:hunter2@"))
    failing = event()
    with caplog.at_level(logging.WARNING), pytest.raises(Transient) as failed:
        await WebhookDelivery(Routes([route]), client, None)(failing, b"{}", 3)
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert re.fullmatch(
        rf"webhook call failed: event={failing.id} type=customer.created route=customer\.\* "
        rf"url=http://\*\*\*@127\.0\.0\.1:\d+/hook\?code=\*\*\*&sig=\*\*\* outcome=503 "
        r"latency_ms=\d+ attempt=3",
        line,
    ), line
    for secret in ("hunter2", "c0de-123", "abc"):
        assert secret not in str(failed.value)
    assert len(receiver.received) == 1


async def test_an_attempt_without_an_answer_logs_the_error_class(
    client: WebhookClient, caplog: pytest.LogCaptureFixture
) -> None:
    route = WebhookRoute("#", f"http://127.0.0.1:{free_port()}/hook")
    with caplog.at_level(logging.WARNING), pytest.raises(Transient, match="ConnectError"):
        await WebhookDelivery(Routes([route]), client, None)(event(), b"{}", 1)
    [line] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert " outcome=ConnectError " in line
    assert line.endswith(" attempt=1")


async def test_a_delivered_event_logs_nothing(
    receiver: Receiver, client: WebhookClient, caplog: pytest.LogCaptureFixture
) -> None:
    route = WebhookRoute("#", receiver.url("/hook"))
    with caplog.at_level(logging.WARNING):
        await WebhookDelivery(Routes([route]), client, None)(event(), b"{}", 1)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_process_logging_at_info_writes_one_line_per_failed_call_and_none_per_delivered_one(
    receiver: Receiver, client: WebhookClient
) -> None:
    receiver.script(SECRET_QUERY, always(500))
    delivery = WebhookDelivery(
        Routes(
            [WebhookRoute("customer.updated", receiver.url(SECRET_QUERY)), WebhookRoute("#", receiver.url())]
        ),
        client,
        None,
    )
    buffer = io.StringIO()
    handler = configure_logging(
        Settings.from_env({"LANA_LOG_FORMAT": "text", "LANA_LOG_LEVEL": "INFO"}), stream=buffer
    )
    try:
        await delivery(event(), b"{}", 1)
        with pytest.raises(Transient):
            await delivery(event(type="customer.updated"), b"{}", 1)
    finally:
        logging.getLogger().removeHandler(handler)
    [line] = buffer.getvalue().splitlines()
    assert "webhook call failed" in line
    assert "c0de-123" not in line


def test_shown_urls_keep_where_they_point_and_mask_credentials() -> None:
    assert shown_url("https://u:p@n8n.example.com:8443/webhook/x?a=1&b=&c=2#frag") == (
        "https://***@n8n.example.com:8443/webhook/x?a=***&b=***&c=***"
    )
    assert shown_url("http://127.0.0.1:5678/webhook/high-value-customer") == (
        "http://127.0.0.1:5678/webhook/high-value-customer"
    )
