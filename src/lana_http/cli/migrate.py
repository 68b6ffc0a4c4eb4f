"""``lana migrate``: bring the configured database to the newest schema."""

from __future__ import annotations

import click

from lana_http.cli._context import describe, load_settings, migrate_database
from lana_http.cli._errors import failure


@click.command()
def migrate() -> None:
    """Apply every pending migration to LANA_DATABASE_URL."""
    settings, _ = load_settings()
    try:
        migrated = migrate_database(settings)
    except Exception as error:
        raise failure(error) from None
    where = describe(settings.database.url)
    click.echo(f"{where} is at the newest schema" if migrated else f"{where} keeps no schema; nothing to do")
