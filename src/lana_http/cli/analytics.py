"""``lana analytics rebuild-counters``: recompute the live activity counters from the store."""

from __future__ import annotations

import click

from lana_adapters.container import container_for, start, stop
from lana_adapters.redis.settings import RETENTION_DAYS
from lana_core.usecases.tenants import Authenticate
from lana_http.cli._context import load_settings
from lana_http.cli._errors import CommandFailed, run


@click.group()
def analytics() -> None:
    """Maintain the product analytics."""


@analytics.command("rebuild-counters")
@click.option(
    "--days",
    type=click.IntRange(1, RETENTION_DAYS),
    default=RETENTION_DAYS,
    show_default=True,
    help="Rebuild this many UTC days, today included.",
)
@click.option("--tenant", default=None, help="Tenant slug [default: LANA_TENANT_SLUG or 'default'].")
@click.option("--admin-email", default=None, help="An admin of the tenant [default: LANA_ADMIN_EMAIL].")
def rebuild_counters(*, days: int, tenant: str | None, admin_email: str | None) -> None:
    """Replace the tenant's Redis counters (LANA_REDIS_URL) with the counts of the analytics store.

    Run it after a Redis outage, a restore, or whenever "today" on the dashboard looks off.
    Events committed during the run may be counted twice or missed; run it again to settle.
    """
    settings, http = load_settings()
    if not settings.redis.url:
        raise CommandFailed("live counters live in Redis: set LANA_REDIS_URL")
    password = http.admin_password or click.prompt("Admin password", hide_input=True)
    sign_in = Authenticate(
        tenant_slug=tenant or http.tenant_slug, email=admin_email or http.admin_email, password=password
    )

    async def work() -> None:
        container = container_for(settings)
        services = await start(container)
        try:
            admin = await services.lana.authenticate(sign_in)
            assert services.counters is not None  # Redis is configured
            await services.counters.rebuild_counters(admin.tenant_id, services.lana.kernel.uow, days)
        finally:
            await stop(container)

    run(work)
    click.echo(f"rebuilt {days} day(s) of live counters")
