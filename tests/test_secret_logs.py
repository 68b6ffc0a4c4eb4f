"""The suite's secret check: a log line showing a secret fails the whole run, naming the test."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lana_adapters.settings import Settings
from lana_adapters.telemetry import configure_logging
from tests.plugins.secret_logs import LeakFinder, _test_module_secrets
from tests.support import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
# A JWT glued to a word: the log filter's patterns miss it, the check must not.
GLUED_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl"
SUITE = f"""
import logging

def test_logs_a_token():
    logging.getLogger("inner").warning("refreshed token_%s", "{GLUED_JWT}")

def test_logs_nothing_secret():
    logging.getLogger("inner").warning("customer created")
"""
# Named unlike a secret, so the suite running this file does not look for it.
CONFIGURED = "configured-value-of-a-metrics-token"


def _run_suite(
    tmp_path: Path, *selection: str, options: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_inner.py").write_text(SUITE)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.plugins.secret_logs", "-p", "no:cacheprovider"]
        + list(options)
        + [f"test_inner.py::{name}" for name in selection],
        cwd=tmp_path,
        # Without the installed plugins pytest starts in a second rather than three.
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_run_whose_tests_pass_fails_when_a_secret_was_logged(tmp_path: Path) -> None:
    leaky = _run_suite(tmp_path, "test_logs_a_token", "test_logs_nothing_secret")
    assert leaky.returncode == pytest.ExitCode.TESTS_FAILED, leaky.stdout
    assert "2 passed" in leaky.stdout
    assert "1 secret(s) in log lines" in leaky.stdout
    assert "a JWT logged by inner in test_inner.py::test_logs_a_token" in leaky.stdout
    assert GLUED_JWT not in leaky.stdout  # the report names the leak without repeating it

    clean = _run_suite(tmp_path, "test_logs_nothing_secret")
    assert clean.returncode == pytest.ExitCode.OK, clean.stdout
    assert "secret(s) in log lines" not in clean.stdout


def test_a_secret_logged_in_a_parallel_worker_fails_the_run(tmp_path: Path) -> None:
    options = ("-p", "xdist", "-n", "2")
    leaky = _run_suite(tmp_path, "test_logs_a_token", "test_logs_nothing_secret", options=options)
    assert leaky.returncode == pytest.ExitCode.TESTS_FAILED, leaky.stdout
    assert "2 passed" in leaky.stdout
    assert "a JWT logged by inner in test_inner.py::test_logs_a_token" in leaky.stdout


def test_the_secrets_are_the_test_modules_constants_named_like_one() -> None:
    secrets = _test_module_secrets()
    assert secrets[PASSWORD] == "lana_testing.support.PASSWORD"  # where it is defined
    assert CONFIGURED not in secrets


@pytest.fixture
def isolated() -> Iterator[tuple[logging.Logger, LeakFinder]]:
    """A logger only a fresh finder hears (this suite's own finder must not see its lines)."""
    finder = LeakFinder()
    finder.know({CONFIGURED: "CONFIGURED"})
    logger = logging.getLogger("tests.secret_logs.isolated")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(finder)
    yield logger, finder
    logger.removeHandler(finder)


def test_a_value_lanas_handler_is_configured_to_mask_is_no_leak(
    isolated: tuple[logging.Logger, LeakFinder],
) -> None:
    logger, finder = isolated
    logger.info("scraped with %s", CONFIGURED)
    assert [leak.what for leak in finder.leaks] == ["CONFIGURED"]
    assert CONFIGURED not in finder.leaks[0].line

    handler = configure_logging(
        Settings.from_env({"LANA_LOG_FORMAT": "json", "LANA_METRICS_TOKEN": CONFIGURED}), stream=io.StringIO()
    )
    try:
        logger.info("scraped with %s", CONFIGURED)
    finally:
        logging.getLogger().removeHandler(handler)
    assert len(finder.leaks) == 1
