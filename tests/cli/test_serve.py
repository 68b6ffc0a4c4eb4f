"""The first run of ``lana serve`` in an empty directory, then a restart that keeps the data."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

LANA = str(Path(sys.executable).with_name("lana"))
ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(**settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LANA_")}
    env["PYTHONUNBUFFERED"] = "1"
    return {**env, **settings}


@contextmanager
def serving(directory: Path, port: int, **settings: str) -> Iterator[tuple[str, list[str]]]:
    """Run ``lana serve`` in ``directory`` with the given ``LANA_*`` settings; yields its base
    URL and the lines it printed."""
    process = subprocess.Popen(
        [LANA, "serve", "--port", str(port)],
        cwd=directory,
        env=_environment(**settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        lines = _read_banner(process)
        _wait_ready(base, process)
        yield base, lines
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _read_banner(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.lstrip().startswith("curl "):
            return lines
    raise AssertionError(f"lana serve printed no sign-in line: {lines}")


def _wait_ready(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "lana serve exited"
        try:
            if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("lana serve never became ready")


def _sign_in(base: str, password: str) -> dict[str, str]:
    body = {"tenant": "default", "email": "admin@lana.localhost", "password": password}
    response = httpx.post(f"{base}/api/v1/auth/login", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.mark.slow
def test_first_run_creates_an_admin_and_the_data_survives_a_restart(tmp_path: Path) -> None:
    port = _free_port()
    with serving(tmp_path, port) as (base, banner):
        text = "\n".join(banner)
        assert f"{base}/schema" in text
        password = re.search(r"Admin password \(shown once, store it now\): (\S+)", text)
        assert password is not None, text
        headers = _sign_in(base, password.group(1))
        created = httpx.post(
            f"{base}/api/v1/customers", json={"name": "Persistent Ltd"}, headers=headers, timeout=10
        )
        assert created.status_code == 201, created.text
        assert httpx.get(f"{base}/schema", timeout=10).status_code == 200
        assert f"Lana web app: {base}/" in text
        sign_in_page = httpx.get(f"{base}/login", timeout=10)
        assert sign_in_page.status_code == 200
        assert "<title>Sign in · Lana</title>" in sign_in_page.text
    assert (tmp_path / "lana.db").exists()
    assert (tmp_path / "lana.db.secret").stat().st_mode & 0o777 == 0o600

    with serving(tmp_path, port) as (base, banner):
        assert not any("Admin password" in line for line in banner)
        headers = _sign_in(base, password.group(1))
        customer = httpx.get(f"{base}/api/v1/customers/{created.json()['id']}", headers=headers, timeout=10)
        assert customer.status_code == 200
        assert customer.json()["name"] == "Persistent Ltd"


def _statuses_from(base: str, clients: list[str]) -> list[int]:
    """Statuses of one unauthenticated request per client, each sent as if through a proxy."""
    return [
        httpx.get(f"{base}/api/v1/customers", headers={"X-Forwarded-For": client}, timeout=10).status_code
        for client in clients
    ]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_rate_limit(tmp_path: Path) -> None:
    with serving(tmp_path, _free_port(), LANA_RATE_LIMIT_PER_MINUTE="2") as (base, _):
        first = _statuses_from(base, ["203.0.113.1"] * 3)
        other = _statuses_from(base, ["203.0.113.2"])
    assert first == [401, 401, 429]
    assert other == [401]


def test_an_untrusted_peer_cannot_pick_its_rate_limit_key(tmp_path: Path) -> None:
    settings = {"LANA_RATE_LIMIT_PER_MINUTE": "2", "LANA_TRUSTED_PROXIES": "192.0.2.99"}
    with serving(tmp_path, _free_port(), **settings) as (base, _):
        statuses = _statuses_from(base, ["203.0.113.1", "203.0.113.2", "203.0.113.3"])
    assert statuses == [401, 401, 429]


def test_a_port_in_use_fails_in_one_line_before_anything_is_created(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        result = subprocess.run(
            [LANA, "serve", "--port", str(port)],
            cwd=tmp_path,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_SECONDS,
            check=False,
        )

    assert result.returncode != 0
    assert result.stderr.splitlines() == [f"lana: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert result.stdout == ""  # no password printed for an admin nobody could use yet
    assert list(tmp_path.iterdir()) == []  # no database, no signing secret


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def _untracked(repo: Path) -> set[tuple[str, str]]:
    """(status, path) of every file git sees besides the .gitignore: ``??`` untracked, ``!!`` ignored."""
    listing = _git(repo, "status", "--porcelain", "--ignored", "--untracked-files=all")
    entries = {(line[:2], line[3:]) for line in listing.splitlines()}
    return entries - {("??", ".gitignore")}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_every_file_lana_serve_writes_beside_the_database_is_git_ignored(tmp_path: Path) -> None:
    # A checkout of this repository's layout: its .gitignore, and `lana serve` run at the top,
    # as the README's first command does.
    _git(tmp_path, "init", "-q")
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    with serving(tmp_path, _free_port()) as (base, banner):
        password = re.search(r"Admin password \(shown once, store it now\): (\S+)", "\n".join(banner))
        assert password is not None, banner
        headers = _sign_in(base, password.group(1))
        created = httpx.post(f"{base}/api/v1/customers", json={"name": "Ada"}, headers=headers, timeout=10)
        assert created.status_code == 201, created.text
        while_serving = _untracked(tmp_path)
    written = while_serving | _untracked(tmp_path)

    assert ("!!", "lana.db.secret") in written, written
    assert {entry for entry in written if entry[0] != "!!"} == set()
    key = tmp_path.resolve() / "lana.db.secret"
    assert f"Token signing key: generated in {key} (mode 0600)" in "\n".join(banner)
    assert f"inside the git work tree {tmp_path.resolve()}: add 'lana.db*' to its .gitignore" in "\n".join(
        banner
    )
