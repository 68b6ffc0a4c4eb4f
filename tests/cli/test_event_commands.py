"""The event workers' commands fail in one line when the broker cannot be reached."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from lana_http.cli import cli


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("arguments", [["dlq", "list"], ["dlq", "replay"]])
def test_dlq_commands_report_an_unreachable_broker_in_one_line(arguments: list[str]) -> None:
    url = f"amqp://guest:guest@127.0.0.1:{_closed_port()}//"
    result = CliRunner().invoke(cli, arguments, env={"LANA_BROKER_URL": url})

    assert result.exit_code == 3
    assert result.output.count("\n") == 1
    assert result.output.startswith("lana: unavailable")
    assert "Traceback" not in result.output


def test_a_malformed_setting_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["dlq", "list"], env={"LANA_CONSUMER_MAX_ATTEMPTS": "many"})

    assert result.exit_code == 2
    assert "LANA_CONSUMER_MAX_ATTEMPTS" in result.output
