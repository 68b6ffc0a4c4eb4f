"""Lana's own processes as deployed: ``lana serve``, ``lana relay`` and ``lana consume`` run as
commands with ``LANA_*`` variables only, each logging to a file the test reads afterwards."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

LANA = str(Path(sys.executable).with_name("lana"))
START_SECONDS = 60.0
ADMIN_PASSWORD = "a long enough admin password"
JWT_SECRET = "deployed-test-signing-secret-long-enough-for-hs256"


def lana_env(settings: Mapping[str, str]) -> dict[str, str]:
    """This environment without any ``LANA_*`` variable of the test run, plus ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LANA_")}
    return {**env, "PYTHONUNBUFFERED": "1", **settings}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def lana(
    arguments: list[str], settings: Mapping[str, str], log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``lana <arguments>`` with ``settings``, stdout and stderr into ``log``; SIGTERM at the end
    (a test may SIGKILL it before)."""
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            LANA, *arguments, env=lana_env(settings), stdout=output, stderr=output
        )
    try:
        yield process
    finally:
        await terminate(process, within=30)


async def terminate(process: asyncio.subprocess.Process, *, within: float) -> None:
    """SIGTERM ``process`` unless it is gone already; SIGKILL it if it is not gone ``within`` seconds."""
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout=within)
    except TimeoutError:
        process.kill()
        await process.wait()


def serve_settings(database_url: str, **more: str) -> dict[str, str]:
    """``lana serve`` on ``database_url`` with a known admin password and signing key."""
    return {
        "LANA_DATABASE_URL": database_url,
        "LANA_JWT_SECRET": JWT_SECRET,
        "LANA_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LANA_LOG_FORMAT": "json",
        **more,
    }


@asynccontextmanager
async def serving(
    settings: Mapping[str, str], log: Path, *, workers: int = 1, within: float = START_SECONDS
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """A real ``lana serve``, ready within ``within`` seconds; yields a client on it and the
    admin's sign-in headers."""
    port = free_port()
    arguments = ["serve", "--port", str(port), "--workers", str(workers)]
    async with (
        lana(arguments, settings, log) as process,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
    ):
        await until_ready(client, process, log, within=within)
        yield client, await _sign_in(client)


async def until_ready(
    client: httpx.AsyncClient,
    process: asyncio.subprocess.Process,
    log: Path,
    *,
    probe: str = "/health/ready",
    within: float = START_SECONDS,
    name: str = "lana serve",
) -> None:
    """Wait until ``probe`` answers 200; fails the test, showing ``log``, if the process exits
    or ``within`` seconds pass first."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert process.returncode is None, f"{name} exited: {_text(log)}"
        try:
            if (await client.get(probe)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"{name} never became ready: {_text(log)}")


def _text(log: Path) -> str:
    return log.read_text(errors="replace")


async def _sign_in(client: httpx.AsyncClient) -> dict[str, str]:
    body = {"tenant": "default", "email": "admin@lana.localhost", "password": ADMIN_PASSWORD}
    response = await client.post("/api/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
