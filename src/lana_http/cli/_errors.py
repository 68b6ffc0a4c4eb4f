"""How the command fails: one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click

from lana_adapters.telemetry.redaction import redact
from lana_core.errors import LanaError, Unavailable, ValidationError

T = TypeVar("T")

EXIT_FAILED = 1
EXIT_UNAVAILABLE = 3
EXIT_INTERRUPTED = 130


class CommandFailed(click.ClickException):
    """A failure worth one line: what went wrong, in words an operator can act on."""

    exit_code = EXIT_FAILED

    def show(self, file: Any = None) -> None:
        click.echo(f"lana: {self.format_message()}", err=True)


class ServiceUnavailable(CommandFailed):
    """A service the command needs (database, model server) cannot be reached."""

    exit_code = EXIT_UNAVAILABLE


class Interrupted(CommandFailed):
    exit_code = EXIT_INTERRUPTED


def run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``work`` in a fresh event loop, turning every expected failure into CommandFailed."""
    try:
        return asyncio.run(work())
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except BaseException as error:
        raise failure(error) from None


def failure(error: BaseException) -> click.ClickException:
    """The one-line form of ``error``; unexpected errors keep their type name, not their stack."""
    if isinstance(error, click.ClickException):
        return error
    if isinstance(error, KeyboardInterrupt):
        return Interrupted("interrupted")
    if isinstance(error, ValidationError):
        return CommandFailed("; ".join(f"{e.field}: {e.message}" for e in error.errors))
    if isinstance(error, Unavailable):
        return ServiceUnavailable(f"unavailable: {error.message}{_root_cause(error)}")
    if isinstance(error, LanaError):
        return CommandFailed(error.message)
    if isinstance(error, OSError):
        return ServiceUnavailable(f"{error.strerror or error}")
    if isinstance(error, ValueError):
        return CommandFailed(str(error))
    return CommandFailed(f"unexpected {type(error).__name__}: {error}")


def _root_cause(error: BaseException) -> str:
    """`` (<first line of the driver's own message>)``, or nothing: an Unavailable says what
    failed in words fit for an API client, while the operator at a terminal needs the
    driver's reason (which host refused, which name did not resolve)."""
    cause = error
    while cause.__cause__ is not None:
        cause = cause.__cause__
    lines = str(cause).strip().splitlines() if cause is not error else []
    return f" ({redact(lines[0])})" if lines else ""
