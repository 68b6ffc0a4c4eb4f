"""Log lines are JSON events carrying their request's trace, and never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lana_adapters.settings import Settings
from lana_adapters.telemetry import RedactSecrets, configure_logging, redact
from lana_http import create_app
from tests.e2e.api import PREFIX, Api
from tests.e2e.conftest import http_settings, make_container
from tests.integration.observability.conftest import METRICS_TOKEN
from tests.support import PASSWORD

API_KEY = "sk-proj-abcdefghijklmnop1234"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = configure_logging(
        Settings.from_env({"LANA_LOG_FORMAT": "json", "LANA_LOG_LEVEL": "DEBUG"}), stream=buffer
    )
    yield buffer
    logging.getLogger().removeHandler(handler)


def _events(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


async def test_each_log_line_is_json_with_the_trace_id_of_its_request(
    client: AsyncTestClient[Litestar], captured: io.StringIO, spans: InMemorySpanExporter
) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "req-logs-1"})
    assert response.status_code == 200
    events = _events(captured)
    mine = [e for e in events if e["request_id"] == "req-logs-1"]
    assert mine, events
    server = next(s for s in spans.get_finished_spans() if s.name == "GET /health/live")
    assert server.context is not None
    assert {e["trace_id"] for e in mine} == {format(server.context.trace_id, "032x")}


async def test_logs_of_a_session_show_no_password_token_or_key(
    client: AsyncTestClient[Litestar], captured: io.StringIO
) -> None:
    api = await Api.signup(client)
    refresh = api.tokens["refresh_token"]
    rotated = await client.post(f"{PREFIX}/auth/refresh", json={"refresh_token": refresh})
    await api.customer(name="Ada Lovelace")
    logging.getLogger("lana.test").info(
        "request %s with Authorization: Bearer %s, api_key=%s", {"password": PASSWORD}, refresh, API_KEY
    )
    text = captured.getvalue()
    secrets = [PASSWORD, refresh, rotated.json()["access_token"], api.tokens["access_token"], API_KEY]
    assert "lana.test" in text
    assert [s for s in secrets if s in text] == []


def test_known_secret_values_are_masked_wherever_they_appear() -> None:
    redactor = RedactSecrets([METRICS_TOKEN])
    assert METRICS_TOKEN not in redactor.clean(f"scraped with {METRICS_TOKEN}")
    assert redact('{"password": "hunter2 with spaces"}') == '{"password": "[REDACTED]"}'
    assert "hunter2" not in redact("login failed: password=hunter2&user=ada")
    assert redact("user=ada") == "user=ada"


def test_text_logs_on_a_terminal_are_coloured_and_a_bad_format_is_refused() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    handler = configure_logging(Settings.from_env({"LANA_LOG_FORMAT": "auto"}), stream=terminal)
    try:
        logging.getLogger("lana.test").warning("token=abc123secret")
    finally:
        logging.getLogger().removeHandler(handler)
    line = terminal.getvalue()
    assert line.startswith("\x1b[33m")
    assert "WARNING lana.test token=[REDACTED]" in line
    with pytest.raises(ValueError, match="LANA_LOG_FORMAT"):
        configure_logging(Settings.from_env({"LANA_LOG_FORMAT": "xml"}))


@pytest.mark.parametrize("access_log", [True, False])
async def test_each_request_gets_one_access_line_unless_they_are_switched_off(
    database_url: str, access_log: bool
) -> None:
    settings = Settings.from_env({"LANA_DATABASE_URL": database_url, "LANA_LOG_FORMAT": "json"})
    app = create_app(make_container(settings, embedded_relay=False), http_settings(access_log=access_log))
    async with AsyncTestClient(app) as client:
        buffer = io.StringIO()
        handler = configure_logging(settings, stream=buffer)
        try:
            await client.get("/health/live", headers={"X-Request-ID": "req-access"})
            await client.get("/health/live", headers={"X-Request-ID": "req-access"})
        finally:
            logging.getLogger().removeHandler(handler)
    access = [e for e in _events(buffer) if e["logger"] == "lana.http" and e["request_id"] == "req-access"]
    if access_log:
        assert len(access) == 2
        assert all(str(e["message"]).startswith("GET /health/live 200 ") for e in access)
    else:
        assert access == []
