"""A real n8n for the tests, run without docker from the cache ``deploy/n8n/install.sh`` fills.

``LANA_TEST_N8N_HOME`` names that cache (``$HOME/.cache/lana-n8n`` by default of the script);
n8n runs from ``<home>/bin/n8n`` on a PostgreSQL database of its own, with its settings in a
folder of the test's own, on free ports.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from tests.integration.messaging.deployed import free_port, terminate, until_ready

N8N_ENV = "LANA_TEST_N8N_HOME"
N8N_MISSING = (
    f"set {N8N_ENV} to the directory deploy/n8n/install.sh installed n8n into"
    " (e.g. $HOME/.cache/lana-n8n) to run"
)
WORKFLOW = Path(__file__).resolve().parents[3] / "deploy" / "n8n" / "high-value-customer.json"
# n8n migrates its database on a first start: generous, for a loaded machine.
START_SECONDS = 180.0
CLI_SECONDS = 180.0


def n8n_unavailable() -> str | None:
    """Why the n8n tests cannot run here, or None when they can."""
    home = os.environ.get(N8N_ENV)
    if not home:
        return N8N_MISSING
    if not (Path(home) / "bin" / "n8n").is_file():
        return f"{N8N_ENV}={home} holds no bin/n8n: run deploy/n8n/install.sh"
    return None


class N8n:
    """One n8n instance: its command, settings and port; it can be started and stopped again."""

    def __init__(self, home: Path, database_url: str, folder: Path, settings: Mapping[str, str]) -> None:
        self.command = str(home / "bin" / "n8n")
        self.port = free_port()
        self.folder = folder
        self.database_url = database_url
        self.env = {**os.environ, **_database_env(database_url), **_own_env(folder, self.port), **settings}
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *arguments: str) -> str:
        """Run ``n8n <arguments>`` to its end; returns its output, fails the test on an error."""
        done = subprocess.run(
            [self.command, *arguments],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=CLI_SECONDS,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"n8n {' '.join(arguments)} failed: {output}"
        return output

    def import_and_publish(self, workflow: Path, workflow_id: str) -> None:
        """Import ``workflow`` and publish it, so its webhooks answer once n8n starts."""
        self.cli("import:workflow", f"--input={workflow}")
        self.cli("publish:workflow", f"--id={workflow_id}")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[asyncio.subprocess.Process]:
        """``n8n start``, ready to take webhooks; stopped (SIGTERM) when the block ends."""
        self.starts += 1
        log = self.folder / f"n8n-{self.starts}.log"
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                self.command, "start", env=self.env, stdout=output, stderr=output
            )
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=5) as client:
                await until_ready(
                    client, process, log, probe="/healthz/readiness", within=START_SECONDS, name="n8n"
                )
            yield process
        finally:
            # n8n finishes the executions in flight before it exits.
            await terminate(process, within=60)

    def executions(self, workflow_id: str) -> dict[str, int]:
        """How many executions of the workflow n8n recorded, by status (``success``, ``error``…)."""
        query = 'SELECT status, count(*) FROM execution_entity WHERE "workflowId" = %s GROUP BY status'
        with psycopg.connect(_conninfo(self.database_url)) as conn:
            return dict(conn.execute(query, (workflow_id,)).fetchall())


def _own_env(folder: Path, port: int) -> dict[str, str]:
    """Settings that keep this n8n to itself: its folder, its ports, nothing sent home."""
    return {
        "N8N_USER_FOLDER": str(folder),
        "N8N_PORT": str(port),
        "N8N_LISTEN_ADDRESS": "127.0.0.1",
        # The task runners' broker listens on a port of its own (5679 by default).
        "N8N_RUNNERS_BROKER_PORT": str(free_port()),
        "N8N_ENCRYPTION_KEY": "lana-n8n-test-encryption-key",
        "N8N_DIAGNOSTICS_ENABLED": "false",
        "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
        "N8N_TEMPLATES_ENABLED": "false",
        "N8N_SECURE_COOKIE": "false",
        "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
        "N8N_LOG_LEVEL": "info",
    }


def _database_env(database_url: str) -> dict[str, str]:
    url = make_url(database_url)
    return {
        "DB_TYPE": "postgresdb",
        "DB_POSTGRESDB_HOST": url.host or "127.0.0.1",
        "DB_POSTGRESDB_PORT": str(url.port or 5432),
        "DB_POSTGRESDB_DATABASE": url.database or "",
        "DB_POSTGRESDB_USER": url.username or "",
        "DB_POSTGRESDB_PASSWORD": url.password or "",
    }


def _conninfo(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
