"""The key tokens are signed with: from settings, or generated once beside an embedded database."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

KEY_FILE_SUFFIX = ".secret"
_SQLITE_PREFIXES = ("sqlite:///", "sqlite+aiosqlite:///")


def signing_secret(configured: str | None, database_url: str) -> str:
    """``configured`` when set; for a SQLite file, a secret kept in ``<file>.secret`` (mode 0600,
    made on first use); for an in-process database, a fresh one.

    Raises ValueError when a server database is used without ``LANA_JWT_SECRET``: every
    process must sign with the same key, and only the operator can hand it to all of them.
    """
    if configured:
        return configured
    if _in_process(database_url):
        return secrets.token_urlsafe(48)
    path = key_file(database_url)
    if path is None:
        raise ValueError("LANA_JWT_SECRET must be set when the database is not an embedded SQLite file")
    return _read_or_create(path)


def key_file(database_url: str) -> Path | None:
    """Where the signing key of a SQLite file is kept (``<file>.secret``); None for any other
    database, whose key is not kept in a file."""
    path = sqlite_path(database_url)
    if path is None or _in_process(database_url):
        return None
    return Path(f"{path}{KEY_FILE_SUFFIX}")


def _in_process(database_url: str) -> bool:
    return database_url.startswith("memory://") or ":memory:" in database_url


def sqlite_path(database_url: str) -> str | None:
    """The file a SQLite URL names, or None for any other database."""
    for prefix in _SQLITE_PREFIXES:
        if database_url.startswith(prefix):
            path = database_url[len(prefix) :].split("?", 1)[0]
            return path or None
    return None


def _read_or_create(path: Path) -> str:
    if not path.exists():
        _create(path)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < 32:
        raise ValueError(f"{path} holds no usable secret; delete it to generate a new one")
    return secret


def _create(path: Path) -> None:
    # Written aside and hard-linked into place: several workers starting at once agree on
    # one secret, and nobody ever reads a half-written file.
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48))
        with contextlib.suppress(FileExistsError):
            os.link(staging, path)
    finally:
        staging.unlink(missing_ok=True)
