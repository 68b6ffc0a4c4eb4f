"""Developer sessions: ``uvx nox -s tests lint typecheck contracts core`` (or ``nox`` for all)."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["tests", "lint", "typecheck", "contracts", "core"]


def _sync(session: nox.Session) -> None:
    """Install exactly what uv.lock pins into the session's environment."""
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--all-extras",
        f"--python={session.virtualenv.location}",
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite on both cores; extra arguments go to pytest (``-m "not slow"``)."""
    _sync(session)
    session.run("pytest", "-n", "2", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    _sync(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the three packages."""
    _sync(session)
    session.run("mypy")


@nox.session
def contracts(session: nox.Session) -> None:
    """Import-linter: the core stays framework-free and the layers point one way."""
    _sync(session)
    session.run("lint-imports")


@nox.session
def core(session: nox.Session) -> None:
    """``pip install lana`` alone (attrs only): the built wheel in a fresh environment runs the
    library tour of docs/example.py on the core's in-memory adapters."""
    wheels = Path(session.create_tmp()) / "dist"
    session.run("uv", "build", "--wheel", "--out-dir", str(wheels), external=True)
    session.install(str(next(wheels.glob("lana-*.whl"))))
    session.run("python", "docs/example.py")
