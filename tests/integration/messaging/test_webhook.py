"""Calls to the operator's routes against a real local receiver: what a failed attempt logs."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from attrs import evolve

from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_adapters.messaging.webhook import shown_url
from lana_adapters.settings import Settings
from lana_adapters.telemetry import configure_logging
from lana_core.domain.events import CUSTOMER_UPDATED
from tests.integration.messaging.one_path import one_path
from tests.integration.messaging.receiver import Receiver, always
from tests.integration.messaging.running import publish, running, until
from tests.integration.redis.servers import free_port

pytestmark = pytest.mark.rabbitmq
# Names the log filter of a configured process does not mask itself, so this tests the masking here.
SECRET_QUERY = "/hook?code=c0de-123&sig=abc"


def _routed(messaging: MessagingSettings, *routes: WebhookRoute) -> MessagingSettings:
    return evolve(messaging, webhook_routes=routes, webhook_timeout_seconds=2)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_a_failed_attempt_logs_one_warning_line_with_the_secrets_of_its_url_masked(
    messaging: MessagingSettings, receiver: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.script(SECRET_QUERY, always(503))
    url = receiver.url(SECRET_QUERY).replace("//", "//n8n:hunter2@")
    settings = _routed(messaging, WebhookRoute("customer.*", url))
    async with one_path(settings, directory=tmp_path) as path:
        failing = path.event()
        with caplog.at_level(logging.WARNING):
            async with running(path):
                await path.started()
                await publish(settings, [failing])
                await until(lambda: len(receiver.received) >= 1)
                await until(lambda: _warnings(caplog))
    line = _warnings(caplog)[0]
    assert re.fullmatch(
        rf"webhook delivery failed: event={failing.id} type=customer.created subscription=\S+ "
        rf"url=http://\*\*\*@127\.0\.0\.1:\d+/hook\?code=\*\*\*&sig=\*\*\* outcome=503 "
        r"latency_ms=\d+ attempt=1",
        line,
    ), line
    for secret in ("hunter2", "c0de-123", "abc"):
        assert secret not in "\n".join(_warnings(caplog))


async def test_an_attempt_without_an_answer_logs_the_error_class(
    messaging: MessagingSettings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _routed(messaging, WebhookRoute("#", f"http://127.0.0.1:{free_port()}/hook"))
    async with one_path(settings, directory=tmp_path) as path:
        with caplog.at_level(logging.WARNING):
            async with running(path):
                await path.started()
                await publish(settings, [path.event()])
                await until(lambda: _warnings(caplog))
    line = _warnings(caplog)[0]
    assert " outcome=ConnectError " in line
    assert line.endswith(" attempt=1")


async def test_a_process_logging_at_info_writes_one_line_per_failed_call_and_none_per_delivered_one(
    messaging: MessagingSettings, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.script(SECRET_QUERY, always(500))
    settings = _routed(
        messaging,
        WebhookRoute(CUSTOMER_UPDATED, receiver.url(SECRET_QUERY)),
        WebhookRoute("#", receiver.url()),
    )
    buffer = io.StringIO()
    handler = configure_logging(
        Settings.from_env({"LANA_LOG_FORMAT": "text", "LANA_LOG_LEVEL": "INFO"}), stream=buffer
    )
    try:
        async with one_path(settings, directory=tmp_path) as path:
            buffer.truncate(0)
            async with running(path):
                await path.started()
                await publish(settings, [path.event(), path.event(type=CUSTOMER_UPDATED)])
                await until(lambda: receiver.ids("/hook") and "webhook delivery failed" in buffer.getvalue())
    finally:
        logging.getLogger().removeHandler(handler)
    lines = buffer.getvalue().splitlines()
    failed = [line for line in lines if "webhook delivery failed" in line]
    assert failed, lines
    # Only the failing call logs; the delivered customer.created leaves no line.
    assert all(" type=customer.updated " in line for line in failed), failed
    assert all("c0de-123" not in line for line in lines)


def test_shown_urls_keep_where_they_point_and_mask_credentials() -> None:
    assert shown_url("https://u:p@n8n.example.com:8443/webhook/x?a=1&b=&c=2#frag") == (
        "https://***@n8n.example.com:8443/webhook/x?a=***&b=***&c=***"
    )
    assert shown_url("http://127.0.0.1:5678/webhook/high-value-customer") == (
        "http://127.0.0.1:5678/webhook/high-value-customer"
    )
