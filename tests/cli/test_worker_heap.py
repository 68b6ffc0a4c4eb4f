"""A served worker leaves what start-up built out of its garbage collections."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lana_http.heap import YOUNG_COLLECTION_THRESHOLD

# Starts the app as a uvicorn worker would and reports the collector's state once it runs.
_START_WORKER = """
import asyncio, gc, json
from lana_http.asgi import app_from_env

async def main():
    app = app_from_env()
    async with app.lifespan():
        print(json.dumps({"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()[0]}))

asyncio.run(main())
"""


def test_a_started_worker_freezes_its_start_up_heap(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LANA_")}
    env["LANA_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'lana.db'}"
    env["LANA_JWT_SECRET"] = "a-signing-secret-long-enough-for-the-test"
    found = subprocess.run(
        [sys.executable, "-c", _START_WORKER],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    state = json.loads(found.stdout.strip().splitlines()[-1])
    # Modules, routes and pools: far more than a request allocates.
    assert state["frozen"] > 50_000
    assert state["threshold"] == YOUNG_COLLECTION_THRESHOLD
