"""The ``lana`` command: serve the API, migrate, load demo data, manage tenants and users, run the
event workers."""

from __future__ import annotations

import click

from lana_http.cli.analytics import analytics
from lana_http.cli.api_keys import api_keys
from lana_http.cli.customers import customers
from lana_http.cli.demo import demo
from lana_http.cli.events import consume, dlq, relay
from lana_http.cli.insights import insights
from lana_http.cli.migrate import migrate
from lana_http.cli.serve import serve
from lana_http.cli.tenants import tenants
from lana_http.cli.transfer import export_group, import_group
from lana_http.cli.users import users
from lana_http.cli.webhooks import webhooks


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Lana CRM. Configuration comes from LANA_* environment variables."""


cli.add_command(serve)
cli.add_command(migrate)
cli.add_command(demo)
cli.add_command(tenants)
cli.add_command(users)
cli.add_command(api_keys)
cli.add_command(webhooks)
cli.add_command(relay)
cli.add_command(consume)
cli.add_command(dlq)
cli.add_command(insights)
cli.add_command(analytics)
cli.add_command(import_group)
cli.add_command(export_group)
cli.add_command(customers)


def main() -> None:
    """Entry point of the console script."""
    cli(prog_name="lana")


__all__ = ["cli", "main"]
