"""Fail the run when a token, password or API key reaches a log line anywhere in the suite.

Every record the loggers let through (from ``INFO``, ``LANA_LOG_LEVEL``'s default) is
formatted as Lana's own handler would write it: JSON, masked by that handler's filter when
:func:`~lana_adapters.telemetry.configure_logging` installed one (its configured secrets
included), by the patterns alone otherwise. What is left must show none of the suite's
secrets: a JWT (every access and refresh token is one), a bearer credential, a password
inside a URL, or the value of a test module's string constant named like a secret
(``PASSWORD``, ``SECRET``, ``METRICS_TOKEN``, ``API_KEY``…). At the end each leak is listed
with the test that logged it, and the run fails.

Records are scanned as they are emitted and only leaks are kept, so the check costs a few
microseconds a record. Loggers that do not propagate to the root logger, and processes the
tests start, are not seen. Under pytest-xdist each worker scans the records of its own tests
and hands its leaks to the controller, which reports them and fails the run.
"""

from __future__ import annotations

import copy
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from attrs import frozen

from lana_adapters.telemetry import RedactSecrets
from lana_adapters.telemetry.logging import JsonFormatter

_LANA_HANDLER = "lana"  # the name configure_logging gives its handler
_SECRET_CONSTANT = re.compile(r"(?:[A-Z0-9]+_)*(?:PASSWORD|SECRET|TOKEN|API_KEY)")
# Shorter values ("guest", "test-key") are ordinary words of other lines as well.
_MIN_SECRET_LENGTH = 8
_PATTERNS = (
    ("a JWT", re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.")),
    ("a bearer credential", re.compile(r"\bbearer\s+[A-Za-z0-9._~+/=-]{8,}", re.I)),
    ("a password inside a URL", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/?#@]*:(?!\*+@)[^\s/?#]+@", re.I)),
)
_REPORTED = 20
_SHOWN_CHARACTERS = 300
_BETWEEN_TESTS = "(between tests)"
_WORKER_LEAKS = "lana_secret_leaks"
# The suite's own modules and the contract suite Lana ships.
_TEST_PACKAGES = ("tests.", "lana_testing.")


@frozen
class Leak:
    """A secret (``what``) in a log line written by ``logger`` while ``test`` ran."""

    what: str
    test: str
    logger: str
    line: str


class LeakFinder(logging.Handler):
    """A root logger handler that writes each record as Lana's handler would and keeps the
    lines showing a secret."""

    def __init__(self) -> None:
        super().__init__()
        self.leaks: list[Leak] = []
        self.test = _BETWEEN_TESTS
        self._secrets: dict[str, str] | None = None  # value: the constant holding it
        self._unscanned: list[tuple[str, str, str]] = []  # (test, logger, line) before secrets are known
        self._plain = RedactSecrets()
        self._formatter = (self._plain, JsonFormatter(self._plain))

    def know(self, secrets: dict[str, str]) -> None:
        """Scan for ``secrets`` from now on, and the lines logged before they were known."""
        self._secrets = secrets
        for test, logger, line in self._unscanned:
            self._scan(test, logger, line)
        self._unscanned.clear()

    def emit(self, record: logging.LogRecord) -> None:
        redactor = _configured_redactor() or self._plain
        # A copy: Lana's filter rewrites the record it cleans, and other handlers see it after this one.
        written = copy.copy(record)
        redactor.filter(written)
        line = self._format(redactor, written)
        if self._secrets is None:
            self._unscanned.append((self.test, record.name, line))
        else:
            self._scan(self.test, record.name, line)

    def _format(self, redactor: RedactSecrets, record: logging.LogRecord) -> str:
        if self._formatter[0] is not redactor:  # a new configure_logging call: the next test's handler
            self._formatter = (redactor, JsonFormatter(redactor))
        return self._formatter[1].format(record)

    def _scan(self, test: str, logger: str, line: str) -> None:
        for what, shown in _found(line, self._secrets or {}):
            self.leaks.append(Leak(what, test, logger, shown))


class SecretLogCheck:
    """Keeps a :class:`LeakFinder` on the root logger for the session and fails it on a leak."""

    def __init__(self) -> None:
        self._finder = LeakFinder()
        self._saved_level = logging.NOTSET

    def pytest_sessionstart(self) -> None:
        root = logging.getLogger()
        self._saved_level = root.level
        root.setLevel(min(root.getEffectiveLevel(), logging.INFO))
        root.addHandler(self._finder)

    def pytest_collection_finish(self) -> None:
        # Every test module is imported by now, with the constants naming its secrets.
        self._finder.know(_test_module_secrets())

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self._finder.test = nodeid
        root = logging.getLogger()
        if self._finder not in root.handlers:  # a test put back the handlers it found before
            root.addHandler(self._finder)

    def pytest_runtest_logfinish(self) -> None:
        self._finder.test = _BETWEEN_TESTS

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        root = logging.getLogger()
        root.removeHandler(self._finder)
        root.setLevel(self._saved_level)
        workeroutput = getattr(session.config, "workeroutput", None)
        if workeroutput is not None:  # a pytest-xdist worker: the controller reports and fails the run
            workeroutput[_WORKER_LEAKS] = [attrs.astuple(leak) for leak in self._finder.leaks]
            return
        if self._finder.leaks and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """Under pytest-xdist, the leaks a worker found (its exit status alone fails no run)."""
        for fields in getattr(node, "workeroutput", {}).get(_WORKER_LEAKS, ()):
            self._finder.leaks.append(Leak(*fields))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        leaks = self._finder.leaks
        if not leaks:
            return
        terminalreporter.write_sep("=", f"{len(leaks)} secret(s) in log lines", red=True)
        for leak in leaks[:_REPORTED]:
            terminalreporter.write_line(f"{leak.what} logged by {leak.logger} in {leak.test}:")
            terminalreporter.write_line(f"    {leak.line[:_SHOWN_CHARACTERS]}")
        if len(leaks) > _REPORTED:
            terminalreporter.write_line(f"... and {len(leaks) - _REPORTED} more")


def _found(line: str, secrets: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(what leaked, the line with the secret's value replaced by its name) for each leak."""
    for value, name in secrets.items():
        if value in line:
            yield name, line.replace(value, f"<{name}>")
    for what, pattern in _PATTERNS:
        if pattern.search(line):
            yield what, pattern.sub(f"<{what}>", line)


def _configured_redactor() -> RedactSecrets | None:
    """The filter of the handler ``configure_logging`` installed, if one is installed now."""
    for handler in logging.getLogger().handlers:
        if handler.get_name() == _LANA_HANDLER:
            return next((f for f in handler.filters if isinstance(f, RedactSecrets)), None)
    return None


def _test_module_secrets() -> dict[str, str]:
    """``{value: "module.NAME"}`` of every string constant of a test module (the shipped contract
    suite's too) named like a secret, under the first module holding it (the one that defines
    it, when imported in order)."""
    secrets: dict[str, str] = {}
    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith(_TEST_PACKAGES) or module_name == __name__:
            continue
        for name, value in vars(module).items():
            if (
                isinstance(value, str)
                and len(value) >= _MIN_SECRET_LENGTH
                and _SECRET_CONSTANT.fullmatch(name)
            ):
                secrets.setdefault(value, f"{module_name}.{name}")
    return secrets


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(SecretLogCheck(), "secret-log-check")
