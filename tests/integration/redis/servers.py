"""Redis for the tests: the shared server named by ``LANA_TEST_REDIS_URL`` (only keys under a
prefix unique to each test are touched, then deleted), and private servers a test may stop."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from redis import Redis

from lana_adapters.redis import RedisSettings

REDIS_ENV = "LANA_TEST_REDIS_URL"
REDIS_MISSING = f"set {REDIS_ENV} (e.g. redis://127.0.0.1:6379/0) to run the Redis tests"


def redis_unavailable() -> str | None:
    """Why the Redis tests cannot run here, or None when they can."""
    return None if os.environ.get(REDIS_ENV) else REDIS_MISSING


def unique_prefix() -> str:
    return f"lana-test-{secrets.token_hex(6)}:"


def settings_for(url: str, prefix: str, **overrides: object) -> RedisSettings:
    values: dict[str, object] = {"url": url, "key_prefix": prefix, "circuit_open_seconds": 0.2}
    values.update(overrides)
    return RedisSettings(**values)  # type: ignore[arg-type]


def delete_prefixed(url: str, prefix: str) -> None:
    """Delete this test's keys and nothing else (never FLUSHDB on a shared server)."""
    with Redis.from_url(url) as client:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivateRedis:
    """A ``redis-server`` of the test's own on a free port, which the test may stop, pause and restart."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self._binary = binary
        self.port = free_port()
        self._directory = Path(tempfile.mkdtemp(prefix="lana_redis_"))
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            self._binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        command += ["--dir", str(self._directory)]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def pause(self) -> None:
        """Freeze the server: connections stay open but nothing answers (a hung Redis)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        if self._process is not None:
            self.resume()
        self.stop()
        shutil.rmtree(self._directory, ignore_errors=True)
