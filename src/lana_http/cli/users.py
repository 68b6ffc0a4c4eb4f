"""``lana users``: list, create, deactivate and reactivate a tenant's users and set their
roles, signed in as one of its admins; reset a password as the operator."""

from __future__ import annotations

import secrets

import click

from lana_core.app import Lana
from lana_core.domain.pagination import PageRequest
from lana_core.domain.tenancy import Actor, Role, User, parse_role
from lana_core.errors import ValidationError
from lana_core.usecases.tenants import CreateUser
from lana_core.usecases.users import RecoverAccount
from lana_http.cli._admin import (
    TENANT_HELP,
    as_admin,
    new_password,
    password_stdin,
    signed_in_as_admin,
    with_lana,
)
from lana_http.cli._context import load_settings
from lana_http.cli._errors import failure

ROLE_HELP = f"One of: {', '.join(role.value for role in Role)} (any case)."
EMAIL = click.option("--email", required=True, help="The user's email.")


@click.group()
def users() -> None:
    """Manage the users of a tenant."""


@users.command("list")
@signed_in_as_admin
def list_users(*, tenant: str | None, admin_email: str | None) -> None:
    """List the tenant's users by email: email, role, state, name and id."""

    async def work(lana: Lana, admin: Actor) -> list[User]:
        found: list[User] = []
        page = PageRequest(limit=200)
        while True:
            listed = await lana.list_users(admin, page)
            found.extend(listed.items)
            if listed.next_cursor is None:
                return found
            page = PageRequest.of(page.limit, listed.next_cursor)

    listed = as_admin(tenant, admin_email, work)
    width = max((len(user.email) for user in listed), default=0)
    for user in listed:
        state = "active" if user.active else "inactive"
        click.echo(f"{user.email:<{width}}  {user.role.value:<7}  {state:<8}  {user.name}  {user.id}")


@users.command("create")
@EMAIL
@click.option("--name", required=True, help="The new user's name.")
@click.option("--role", default=Role.AGENT.value, show_default=True, help=ROLE_HELP)
@click.option(
    "--password", default=None, help="The new user's password [default: generated and printed once]."
)
@signed_in_as_admin
def create(
    *, email: str, name: str, role: str, password: str | None, tenant: str | None, admin_email: str | None
) -> None:
    """Create a user; the admin's password comes from LANA_ADMIN_PASSWORD or a prompt."""
    chosen = _role(role)
    password_used = password or secrets.token_urlsafe(18)
    command = CreateUser(email=email, name=name, role=chosen, password=password_used)

    async def work(lana: Lana, admin: Actor) -> User:
        return await lana.create_user(admin, command)

    user = as_admin(tenant, admin_email, work)
    click.echo(f"created {chosen.value} {user.email} ({user.id})")
    if password is None:
        click.echo(f"password (shown once): {password_used}")


@users.command("set-role")
@EMAIL
@click.option("--role", required=True, help=ROLE_HELP)
@signed_in_as_admin
def set_role(*, email: str, role: str, tenant: str | None, admin_email: str | None) -> None:
    """Give a user another role, from its next request on (not to oneself)."""
    chosen = _role(role)

    async def work(lana: Lana, admin: Actor) -> User:
        user = await lana.find_user(admin, email)
        return await lana.change_user_role(admin, user.id, chosen)

    user = as_admin(tenant, admin_email, work)
    click.echo(f"{user.email} is now {user.role.value}")


@users.command("deactivate")
@EMAIL
@signed_in_as_admin
def deactivate(*, email: str, tenant: str | None, admin_email: str | None) -> None:
    """Stop a user from signing in and end its sessions at once (not oneself)."""

    async def work(lana: Lana, admin: Actor) -> User:
        return await lana.deactivate_user(admin, (await lana.find_user(admin, email)).id)

    click.echo(f"deactivated {as_admin(tenant, admin_email, work).email}")


@users.command("reactivate")
@EMAIL
@signed_in_as_admin
def reactivate(*, email: str, tenant: str | None, admin_email: str | None) -> None:
    """Let a deactivated user sign in again."""

    async def work(lana: Lana, admin: Actor) -> User:
        return await lana.reactivate_user(admin, (await lana.find_user(admin, email)).id)

    click.echo(f"reactivated {as_admin(tenant, admin_email, work).email}")


@users.command("reset-password")
@EMAIL
@click.option("--tenant", default=None, help=TENANT_HELP)
@password_stdin
def reset_password(*, email: str, tenant: str | None, password_stdin: bool) -> None:
    """Set a user's password as the operator, without signing in: the way back in when an
    admin's password is lost. Every session of the user ends; the change is audited with no
    actor. The password is prompted for (twice, not echoed) or read from stdin."""
    settings, http = load_settings()
    password = new_password(from_stdin=password_stdin, prompt="New password")
    command = RecoverAccount(tenant_slug=tenant or http.tenant_slug, email=email, new_password=password)

    async def work(lana: Lana) -> User:
        return await lana.recover_account(command)

    user = with_lana(settings, work)
    click.echo(f"password reset for {user.email} (tenant {command.tenant_slug.strip().lower()!r})")
    if not user.active:
        click.echo("the user is inactive: `lana users reactivate` lets it sign in")


def _role(value: str) -> Role:
    try:
        return parse_role(value)
    except ValidationError as error:
        raise failure(error) from None
