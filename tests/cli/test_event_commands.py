"""The event workers' commands fail in one line when the broker cannot be reached, or cannot
reach another process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lana_adapters.messaging._kombu import Connection
from lana_adapters.messaging.topology import Topology
from lana_http.cli import cli
from tests.integration.messaging.broker import RABBITMQ_ENV, delete, rabbitmq_unavailable, unique_settings

LANA = str(Path(sys.executable).with_name("lana"))


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


@pytest.mark.parametrize("command", ["relay", "consume"])
def test_a_worker_refuses_the_in_process_broker_that_no_other_process_can_reach(
    command: str, tmp_path: Path
) -> None:
    # The default LANA_BROKER_URL, memory://, lives inside one process: a relay publishing
    # there and a consumer in another process would never meet, and nothing would say so.
    env = {key: value for key, value in os.environ.items() if not key.startswith("LANA_")}
    env["LANA_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'lana.db'}"
    result = subprocess.run(
        [LANA, command], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=30, check=False
    )

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("lana: ")
    assert "LANA_BROKER_URL" in result.stderr
    assert not (tmp_path / "lana.db").exists()  # refused before anything was touched


@pytest.mark.rabbitmq
def test_dlq_list_says_so_when_the_dead_letter_queue_is_empty() -> None:
    reason = rabbitmq_unavailable()
    if reason is not None:
        pytest.skip(reason)
    settings = unique_settings(os.environ[RABBITMQ_ENV])
    with Connection(settings.broker_url) as conn:
        Topology.of(settings).declare(conn)
    try:
        result = CliRunner().invoke(cli, ["dlq", "list"], env=settings.as_env())
    finally:
        delete(settings)

    assert result.exit_code == 0, result.output
    assert result.output == "0 messages\n"
