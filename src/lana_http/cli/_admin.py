"""What the commands that manage tenants and users share: the core over the configured store,
signing in as an admin, and reading a new password without echoing it."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from lana_adapters.container import container_for, start, stop
from lana_adapters.settings import Settings
from lana_core.app import Lana
from lana_core.domain.tenancy import Actor
from lana_core.usecases.tenants import Authenticate
from lana_http.cli._context import load_settings
from lana_http.cli._errors import run

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

TENANT_HELP = "Tenant slug [default: LANA_TENANT_SLUG or 'default']."


def signed_in_as_admin(command: F) -> F:
    """The ``--tenant`` and ``--admin-email`` options of a command run as an admin."""
    command = click.option(
        "--admin-email", default=None, help="An admin of the tenant [default: LANA_ADMIN_EMAIL]."
    )(command)
    return click.option("--tenant", default=None, help=TENANT_HELP)(command)


def password_stdin(command: F) -> F:
    """The ``--password-stdin`` option of a command that sets a password."""
    return click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from the first line of stdin instead of prompting for it.",
    )(command)


def as_admin(tenant: str | None, admin_email: str | None, work: Callable[[Lana, Actor], Awaitable[T]]) -> T:
    """Sign in to the tenant as the admin (password: LANA_ADMIN_PASSWORD or a prompt), then
    run ``work`` as it, so the audit names who made each change."""
    settings, http = load_settings()
    password = http.admin_password or click.prompt("Admin password", hide_input=True)
    sign_in = Authenticate(
        tenant_slug=tenant or http.tenant_slug, email=admin_email or http.admin_email, password=password
    )

    async def signed_in(lana: Lana) -> T:
        return await work(lana, await lana.authenticate(sign_in))

    return with_lana(settings, signed_in)


def with_lana(settings: Settings, work: Callable[[Lana], Awaitable[T]]) -> T:
    """Run ``work`` on the core over the configured store; failures become one line."""

    async def main() -> T:
        container = container_for(settings)
        services = await start(container)
        try:
            return await work(services.lana)
        finally:
            await stop(container)

    return run(main)


def new_password(*, from_stdin: bool, prompt: str) -> str:
    """A password typed twice at a prompt that does not echo it, or the first line of stdin."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))
