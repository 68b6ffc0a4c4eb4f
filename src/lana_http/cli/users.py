"""``lana users create``: add a user to a tenant, signed in as one of its admins."""

from __future__ import annotations

import secrets

import click

from lana_adapters.container import start, stop
from lana_core.domain.tenancy import Role
from lana_core.usecases.tenants import Authenticate, CreateUser
from lana_http.cli._context import container_for, load_settings
from lana_http.cli._errors import run
from lana_http.cli._options import choice_of


@click.group()
def users() -> None:
    """Manage the users of a tenant."""


@users.command("create")
@click.option("--email", required=True, help="The new user's email.")
@click.option("--name", required=True, help="The new user's name.")
@click.option("--role", type=choice_of(Role), default=Role.AGENT.value, show_default=True)
@click.option(
    "--password", default=None, help="The new user's password [default: generated and printed once]."
)
@click.option("--tenant", default=None, help="Tenant slug [default: LANA_TENANT_SLUG or 'default'].")
@click.option("--admin-email", default=None, help="An admin of the tenant [default: LANA_ADMIN_EMAIL].")
def create(
    *, email: str, name: str, role: str, password: str | None, tenant: str | None, admin_email: str | None
) -> None:
    """Create a user; the admin's password comes from LANA_ADMIN_PASSWORD or a prompt."""
    settings, http = load_settings()
    admin_password = http.admin_password or click.prompt("Admin password", hide_input=True)
    new_password = password or secrets.token_urlsafe(18)
    sign_in = Authenticate(
        tenant_slug=tenant or http.tenant_slug, email=admin_email or http.admin_email, password=admin_password
    )
    command = CreateUser(email=email, name=name, role=Role(role), password=new_password)

    async def work() -> str:
        container = container_for(settings)
        services = await start(container)
        try:
            admin = await services.lana.authenticate(sign_in)
            user = await services.lana.create_user(admin, command)
        finally:
            await stop(container)
        return str(user.id)

    user_id = run(work)
    click.echo(f"created {role} {email} ({user_id})")
    if password is None:
        click.echo(f"password (shown once): {new_password}")
