"""``lana tenants create``: a new tenant and its first admin."""

from __future__ import annotations

import click

from lana_core.app import Lana
from lana_core.domain.tenancy import Actor, Tenant
from lana_core.usecases.tenants import CreateTenant
from lana_http.cli._admin import new_password, password_stdin, with_lana
from lana_http.cli._context import load_settings, migrate_database
from lana_http.cli._errors import failure


@click.group()
def tenants() -> None:
    """Manage tenants."""


@tenants.command("create")
@click.option("--slug", required=True, help="The tenant's slug, named at sign-in: a-z, 0-9 and inner '-'.")
@click.option("--name", required=True, help="The tenant's name.")
@click.option("--admin-email", required=True, help="The first admin's email.")
@click.option("--admin-name", required=True, help="The first admin's name.")
@password_stdin
def create(*, slug: str, name: str, admin_email: str, admin_name: str, password_stdin: bool) -> None:
    """Create a tenant and its first admin (migrating the database first, if need be). The
    admin's password is prompted for (twice, not echoed) or read from stdin."""
    settings, _ = load_settings()
    password = new_password(from_stdin=password_stdin, prompt="Admin password")
    command = CreateTenant(
        slug=slug, name=name, admin_email=admin_email, admin_name=admin_name, admin_password=password
    )
    try:
        migrate_database(settings)
    except Exception as error:
        raise failure(error) from None

    async def work(lana: Lana) -> tuple[Tenant, Actor]:
        return await lana.create_tenant(command)

    tenant, admin = with_lana(settings, work)
    email = admin_email.strip().lower()
    click.echo(f"created tenant {tenant.slug!r} ({tenant.id}) with admin {email} ({admin.user_id})")
