"""``lana customers merge``: merge duplicate customers into the one that stays."""

from __future__ import annotations

from uuid import UUID

import click

from lana_adapters.container import container_for, start, stop
from lana_core.domain.customers import Customer
from lana_core.usecases.customer_merge import MergeCustomers
from lana_core.usecases.tenants import Authenticate
from lana_http.cli._context import load_settings
from lana_http.cli._errors import run


@click.group()
def customers() -> None:
    """Look after customers."""


@customers.command("merge")
@click.argument("kept_id", type=click.UUID)
@click.argument("merge_ids", type=click.UUID, nargs=-1, required=True)
@click.option("--tenant", default=None, help="Tenant slug [default: LANA_TENANT_SLUG or 'default'].")
@click.option("--admin-email", default=None, help="An admin of the tenant [default: LANA_ADMIN_EMAIL].")
def merge(*, kept_id: UUID, merge_ids: tuple[UUID, ...], tenant: str | None, admin_email: str | None) -> None:
    """Merge MERGE_IDS into KEPT_ID, all or nothing (rules: docs/api.md, "Duplicates and merge")."""
    settings, http = load_settings()
    password = http.admin_password or click.prompt("Admin password", hide_input=True)
    sign_in = Authenticate(
        tenant_slug=tenant or http.tenant_slug, email=admin_email or http.admin_email, password=password
    )
    command = MergeCustomers(customer_id=kept_id, merge_ids=merge_ids)

    async def work() -> Customer:
        container = container_for(settings)
        services = await start(container)
        try:
            admin = await services.lana.authenticate(sign_in)
            return await services.lana.merge_customers(admin, command)
        finally:
            await stop(container)

    kept = run(work)
    click.echo(f"merged {len(merge_ids)} customer(s) into {kept.id} (now at version {kept.version})")
