"""Apply the schema's Alembic migrations from code; no ``alembic.ini`` is needed."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from lana_adapters.sql.errors import DRIVER_ERRORS, translate
from lana_adapters.sql.settings import APP_ROLE, RELAY_ROLE

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "head"
# Revisions are numbered like their files (0001_name.py, 0002_name.py), one after another.
PACKAGED_HEAD = max(path.name.partition("_")[0] for path in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))
_STAMP = text("SELECT version_num FROM alembic_version")
# Alembic keeps its migration context in module globals: one upgrade per process at a time.
_ONE_AT_A_TIME = threading.Lock()


def alembic_config(
    url: str, *, app_role: str | None = APP_ROLE, relay_role: str | None = RELAY_ROLE
) -> Config:
    """An Alembic configuration for Lana's migrations on ``url`` (async URLs are accepted)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser treats '%' as interpolation; a password may contain one.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["app_role"] = app_role
    config.attributes["relay_role"] = relay_role
    return config


def migrate(
    url: str, revision: str = HEAD, *, app_role: str | None = APP_ROLE, relay_role: str | None = RELAY_ROLE
) -> None:
    """Upgrade the database at ``url`` to ``revision``; a no-op when it is there already.

    ``app_role`` and ``relay_role`` name the PostgreSQL roles row-level security is
    granted to. Raises Unavailable when the database cannot be reached.
    """
    from alembic import command

    with _ONE_AT_A_TIME:
        try:
            command.upgrade(alembic_config(url, app_role=app_role, relay_role=relay_role), revision)
        except DRIVER_ERRORS as error:
            raise translate(error) from error


async def ensure_schema(
    engine: AsyncEngine, *, app_role: str | None = APP_ROLE, relay_role: str | None = RELAY_ROLE
) -> None:
    """Bring the engine's database to the newest schema, off the event loop.

    The embedded SQLite mode calls this at start-up. Concurrent callers, in one process or
    several, are safe. Raises Unavailable.
    """
    if await _stamped_at_head(engine):
        # Every start of every worker lands here once the schema is current: a query instead
        # of loading Alembic (and the megabytes it imports) into each process.
        return
    url = engine.url.render_as_string(hide_password=False)
    await asyncio.to_thread(migrate, url, app_role=app_role, relay_role=relay_role)


async def _stamped_at_head(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            stamped = (await conn.execute(_STAMP)).scalars().all()
    except DRIVER_ERRORS:
        return False  # no version table yet (a new database): Alembic will say more if it is worse
    return stamped == [PACKAGED_HEAD]
