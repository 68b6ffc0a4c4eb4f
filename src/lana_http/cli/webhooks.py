"""``lana webhooks``: list, create and delete a tenant's webhook subscriptions and read their
deliveries, signed in as one of its admins (so the audit names who made each change)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from uuid import UUID

import click

from lana_core.app import Lana
from lana_core.domain.pagination import MAX_LIMIT, Page, PageRequest
from lana_core.domain.tenancy import Actor
from lana_core.domain.webhooks import Delivery, Subscription
from lana_core.usecases.webhooks import CreateWebhook
from lana_http.cli._admin import as_admin, signed_in_as_admin


@click.group("webhooks")
def webhooks() -> None:
    """Manage the webhook subscriptions of a tenant."""


@webhooks.command("create")
@click.option("--url", required=True, help="Where events are POSTed (http or https).")
@click.option(
    "--event-type",
    "event_types",
    multiple=True,
    required=True,
    help="Event-type pattern, e.g. 'customer.*' ('*' one word, '#' any); repeat for more.",
)
@click.option(
    "--filter",
    "filters",
    multiple=True,
    help="Condition on the event body ('value = high', 'status in (active, prospect)'); repeat for more.",
)
@click.option("--format", "body_format", default="lana", show_default=True, help="'lana' or 'seed'.")
@signed_in_as_admin
def create(
    *,
    url: str,
    event_types: Sequence[str],
    filters: Sequence[str],
    body_format: str,
    tenant: str | None,
    admin_email: str | None,
) -> None:
    """Subscribe a URL to events; its signing secret is printed once and never shown again."""
    command = CreateWebhook(
        url=url, event_types=tuple(event_types), filters=tuple(filters), format=body_format
    )

    async def work(lana: Lana, admin: Actor) -> Subscription:
        return await lana.create_webhook(admin, command)

    created = as_admin(tenant, admin_email, work)
    click.echo(f"created webhook {created.id} for {created.url}")
    click.echo(f"signing secret (shown once): {created.secret}")


@webhooks.command("list")
@signed_in_as_admin
def list_webhooks(*, tenant: str | None, admin_email: str | None) -> None:
    """List the tenant's subscriptions, newest first: id, state, format, URL, patterns and
    filters (never a secret)."""

    async def work(lana: Lana, admin: Actor) -> list[Subscription]:
        return await _every_page(lambda page: lana.list_webhooks(admin, page))

    for found in as_admin(tenant, admin_email, work):
        state = "active" if found.active else f"paused ({found.paused_reason})"
        patterns = ",".join(found.event_types)
        conditions = f"  where {' and '.join(found.filter_texts)}" if found.filters else ""
        click.echo(f"{found.id}  {state}  {found.format.value}  {found.url}  {patterns}{conditions}")


@webhooks.command("delete")
@click.argument("subscription_id", type=click.UUID)
@signed_in_as_admin
def delete(*, subscription_id: UUID, tenant: str | None, admin_email: str | None) -> None:
    """Delete the subscription SUBSCRIPTION_ID with its deliveries and delivery log."""

    async def work(lana: Lana, admin: Actor) -> None:
        await lana.delete_webhook(admin, subscription_id)

    as_admin(tenant, admin_email, work)
    click.echo(f"deleted webhook {subscription_id}")


@webhooks.command("deliveries")
@click.argument("subscription_id", type=click.UUID)
@click.option("--limit", type=click.IntRange(1, MAX_LIMIT), default=20, show_default=True)
@signed_in_as_admin
def deliveries(*, subscription_id: UUID, limit: int, tenant: str | None, admin_email: str | None) -> None:
    """The last deliveries of SUBSCRIPTION_ID: sequence, status, attempts, event and when
    the next attempt is due."""

    async def work(lana: Lana, admin: Actor) -> Page[Delivery]:
        return await lana.list_webhook_deliveries(admin, subscription_id, PageRequest(limit=limit))

    for delivery in as_admin(tenant, admin_email, work).items:
        due = f"  next {delivery.next_attempt_at:%Y-%m-%d %H:%M:%S}" if delivery.status.is_open else ""
        click.echo(
            f"{delivery.sequence}  {delivery.status.value:<9}  {delivery.attempts} attempt(s)"
            f"  {delivery.event.type}  {delivery.event_id}{due}"
        )


async def _every_page(read: Callable[[PageRequest], Awaitable[Page[Subscription]]]) -> list[Subscription]:
    found: list[Subscription] = []
    page = await read(PageRequest(limit=MAX_LIMIT))
    found.extend(page.items)
    while page.next_cursor is not None:
        page = await read(PageRequest.of(MAX_LIMIT, page.next_cursor))
        found.extend(page.items)
    return found
