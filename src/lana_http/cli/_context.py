"""Settings and containers as the command builds them."""

from __future__ import annotations

from lana_adapters.container import container_for
from lana_adapters.settings import Settings
from lana_http.auth.secret import sqlite_path
from lana_http.cli._errors import failure
from lana_http.settings import HttpSettings


def load_settings() -> tuple[Settings, HttpSettings]:
    """The settings from the environment; raises CommandFailed naming a bad variable."""
    try:
        settings = Settings.from_env()
        return settings, settings.http
    except Exception as error:
        raise failure(error) from None


def migrate_database(settings: Settings) -> bool:
    """Bring a SQL database to the newest schema; False for an in-process database.

    Raises Unavailable when the database cannot be reached.
    """
    path = sqlite_path(settings.database.url)
    if path is not None:
        from pathlib import Path

        Path(path).parent.mkdir(parents=True, exist_ok=True)
    migrated: bool = container_for(settings).migrations()
    return migrated


def describe(url: str) -> str:
    """The URL without its password, fit for printing."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, location = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}@{location}"
