"""The workers' HTTP endpoint over a real socket: metrics behind the token, liveness from the
loop's heartbeat, and nothing else."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from lana_adapters.settings import Settings
from lana_adapters.telemetry import LanaMetrics
from lana_adapters.telemetry.exposition import EndpointOptions, Heartbeat, serving
from lana_http.cli import cli
from tests.integration.observability.scrape import series_values
from tests.integration.sql.databases import sqlite_database

TOKEN = "worker-metrics-token"
LANA = str(Path(sys.executable).with_name("lana"))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def endpoint(clock: FakeClock) -> AsyncIterator[tuple[str, Heartbeat, LanaMetrics]]:
    metrics = LanaMetrics()
    heartbeat = Heartbeat(clock=clock)
    options = EndpointOptions(port=0, stale_after_seconds=30, token=TOKEN)
    async with serving(metrics.registry, heartbeat, options) as (host, port):
        yield f"http://{host}:{port}", heartbeat, metrics


async def test_liveness_answers_503_once_the_loop_stops_beating(
    endpoint: tuple[str, Heartbeat, LanaMetrics], clock: FakeClock
) -> None:
    url, heartbeat, _ = endpoint
    async with httpx.AsyncClient(base_url=url) as client:
        clock.now += 29  # a worker that has not looped yet counts from its start
        assert (await client.get("/health/live")).json()["status"] == "ok"
        clock.now += 2
        stale = await client.get("/health/live")
        assert stale.status_code == 503
        assert stale.json() == {"status": "stale", "seconds_since_last_loop": 31.0}
        heartbeat.beat()
        assert (await client.get("/health/live")).status_code == 200


async def test_metrics_need_the_token_and_show_the_registry(
    endpoint: tuple[str, Heartbeat, LanaMetrics],
) -> None:
    url, _, metrics = endpoint
    metrics.retries.inc()
    async with httpx.AsyncClient(base_url=url) as client:
        refused = await client.get("/metrics")
        assert refused.status_code == 401
        assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        scraped = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert series_values(scraped.text)["lana_consumer_retries_total"] == 1


async def test_other_paths_and_methods_and_garbage_are_refused(
    endpoint: tuple[str, Heartbeat, LanaMetrics],
) -> None:
    url, _, _ = endpoint
    async with httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/")).status_code == 404
        assert (await client.get("/metrics/../etc/passwd")).status_code == 404
        refused = await client.post("/health/live")
        assert refused.status_code == 405
        assert refused.headers["allow"] == "GET"
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"NONSENSE\r\n\r\n")
    await writer.drain()
    assert (await reader.read()).startswith(b"HTTP/1.1 400 ")
    writer.close()


async def test_the_endpoint_is_gone_when_the_block_ends(clock: FakeClock) -> None:
    registry = LanaMetrics().registry
    async with (
        serving(registry, Heartbeat(clock=clock), EndpointOptions()) as (host, port),
        httpx.AsyncClient() as client,
    ):
        assert (await client.get(f"http://{host}:{port}/health/live")).status_code == 200
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(host, port)


def test_the_endpoint_is_off_unless_a_port_is_set() -> None:
    assert EndpointOptions.of(Settings()) is None
    options = EndpointOptions.of(
        Settings.from_env(
            {
                "LANA_WORKER_METRICS_PORT": "9100",
                "LANA_WORKER_METRICS_HOST": "0.0.0.0",
                "LANA_WORKER_STALE_SECONDS": "90",
                "LANA_METRICS_TOKEN": TOKEN,
            }
        )
    )
    assert options == EndpointOptions(host="0.0.0.0", port=9100, stale_after_seconds=90.0, token=TOKEN)
    with pytest.raises(ValueError, match="port"):
        EndpointOptions.of(Settings.from_env({"LANA_WORKER_METRICS_PORT": "70000"}))


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """The command installs its own log handler on the root logger; later tests get theirs back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("restored_logging")
def test_a_worker_whose_port_is_taken_fails_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {
            "LANA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'lana.db'}",
            # Never reached: the port is checked first.
            "LANA_BROKER_URL": "amqp://guest:guest@127.0.0.1:9//",
            "LANA_WORKER_METRICS_PORT": str(taken.getsockname()[1]),
            "LANA_LOG_LEVEL": "ERROR",
        }
        result = CliRunner().invoke(cli, ["consume"], env=env)
    assert result.exit_code == 3  # unavailable, like an unreachable broker
    assert result.output.count("\n") == 1
    assert "in use" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_a_relay_serving_its_endpoint_still_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LANA_")}
    env |= {
        "LANA_DATABASE_URL": sqlite_database(tmp_path),
        # Unreachable: the relay waits for it, looping, until it is told to stop.
        "LANA_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{_free_port()}//",
        "LANA_WORKER_METRICS_PORT": str(port),
        "LANA_LOG_LEVEL": "ERROR",
    }
    relay = subprocess.Popen([LANA, "relay"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    try:
        assert _live_within(f"http://127.0.0.1:{port}/health/live", seconds=30)
        relay.send_signal(signal.SIGTERM)
        stdout, _ = relay.communicate(timeout=15)
    finally:
        relay.kill()
    assert relay.returncode == 0
    assert stdout.startswith("relay stopped")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _live_within(url: str, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.TransportError:
            time.sleep(0.1)
    return False
