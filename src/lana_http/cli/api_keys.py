"""``lana api-keys``: create, list and revoke a tenant's API keys, signed in as one of its
admins (so the audit names who made each change)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import click

from lana_core.app import Lana
from lana_core.domain.api_keys import ApiKey
from lana_core.domain.tenancy import Actor, Role, parse_role
from lana_core.errors import ValidationError
from lana_core.usecases.api_keys import CreateApiKey, CreatedApiKey
from lana_http.cli._admin import as_admin, signed_in_as_admin
from lana_http.cli._errors import failure

ROLE_HELP = f"One of: {', '.join(role.value for role in Role)} (any case)."


@click.group("api-keys")
def api_keys() -> None:
    """Manage the API keys of a tenant (for integrations such as n8n)."""


@api_keys.command("create")
@click.option("--name", required=True, help="What the key is for (e.g. 'n8n').")
@click.option("--role", default=Role.AGENT.value, show_default=True, help=ROLE_HELP)
@click.option(
    "--expires-at",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="When the key stops working, in UTC [default: never].",
)
@signed_in_as_admin
def create(
    *, name: str, role: str, expires_at: datetime | None, tenant: str | None, admin_email: str | None
) -> None:
    """Create a key; its token is printed once and never shown again."""
    command = CreateApiKey(name=name, role=_role(role), expires_at=_utc(expires_at))

    async def work(lana: Lana, admin: Actor) -> CreatedApiKey:
        return await lana.create_api_key(admin, command)

    created = as_admin(tenant, admin_email, work)
    click.echo(f"created {created.key.role.value} key {created.key.name!r} ({created.key.id})")
    click.echo(f"token (shown once): {created.token}")


@api_keys.command("list")
@signed_in_as_admin
def list_keys(*, tenant: str | None, admin_email: str | None) -> None:
    """List the tenant's keys, newest first: id, role, state, last use and name (never a secret)."""

    async def work(lana: Lana, admin: Actor) -> Sequence[ApiKey]:
        return await lana.list_api_keys(admin)

    now = datetime.now(UTC)
    for key in as_admin(tenant, admin_email, work):
        used = "never used" if key.last_used_at is None else f"used {key.last_used_at:%Y-%m-%d %H:%M}"
        click.echo(f"{key.id}  {key.role.value:<7}  {_state(key, now):<7}  {used}  {key.name}")


@api_keys.command("revoke")
@click.argument("key_id", type=click.UUID)
@signed_in_as_admin
def revoke(*, key_id: UUID, tenant: str | None, admin_email: str | None) -> None:
    """Revoke the key KEY_ID: the next request with it is refused."""

    async def work(lana: Lana, admin: Actor) -> ApiKey:
        return await lana.revoke_api_key(admin, key_id)

    key = as_admin(tenant, admin_email, work)
    click.echo(f"revoked key {key.name!r} ({key.id})")


def _role(value: str) -> Role:
    try:
        return parse_role(value)
    except ValidationError as error:
        raise failure(error) from error


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def _state(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "revoked"
    return "active" if key.is_live(now) else "expired"
