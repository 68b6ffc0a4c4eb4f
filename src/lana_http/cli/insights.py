"""``lana insights refresh``: assess many customers at once, resumably, with a progress bar."""

from __future__ import annotations

import sys
from collections import Counter
from uuid import UUID

import click

from lana_adapters.container import container_for, start, stop
from lana_core.app import Lana
from lana_core.domain.customers import CustomerStatus
from lana_core.domain.insights import Insight
from lana_core.domain.pagination import PageRequest
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor
from lana_core.usecases.insights import GenerateInsightsBatch
from lana_core.usecases.tenants import Authenticate
from lana_http.cli._context import load_settings
from lana_http.cli._errors import run
from lana_http.cli._options import choice_of

# Customers handed to the use case per call: well under its per-batch cap, large enough
# that its concurrency stays busy.
CHUNK = 200


@click.group()
def insights() -> None:
    """Generate customer insights."""


@insights.command("refresh")
@click.option("--status", type=choice_of(CustomerStatus), help="Only customers in it.")
@click.option("--force", is_flag=True, help="Regenerate even insights younger than the tenant's max age.")
@click.option("--tenant", default=None, help="Tenant slug [default: LANA_TENANT_SLUG or 'default'].")
@click.option("--admin-email", default=None, help="An admin of the tenant [default: LANA_ADMIN_EMAIL].")
def refresh(*, status: str | None, force: bool, tenant: str | None, admin_email: str | None) -> None:
    """Assess every live customer whose insight is missing or stale.

    Resumable: an interrupted run leaves fresh insights behind, which the next run skips
    (unless --force). Concurrency is LANA_INSIGHT_BATCH_CONCURRENCY.
    """
    settings, http = load_settings()
    password = http.admin_password or click.prompt("Admin password", hide_input=True)
    sign_in = Authenticate(
        tenant_slug=tenant or http.tenant_slug, email=admin_email or http.admin_email, password=password
    )
    query = CustomerQuery(status=CustomerStatus(status) if status else None, page=PageRequest(limit=200))

    async def work() -> Counter[str]:
        container = container_for(settings)
        services = await start(container)
        try:
            admin = await services.lana.authenticate(sign_in)
            return await _refresh_all(services.lana, admin, query, refresh=force)
        finally:
            await stop(container)

    outcome = run(work)
    click.echo(", ".join(f"{count} {what}" for what, count in sorted(outcome.items())) or "no customers")


async def _refresh_all(lana: Lana, admin: Actor, query: CustomerQuery, *, refresh: bool) -> Counter[str]:
    targets = await _customer_ids(lana, admin, query)
    outcome: Counter[str] = Counter()
    with click.progressbar(length=len(targets), label="insights", file=sys.stderr) as bar:
        for first in range(0, len(targets), CHUNK):
            chunk = targets[first : first + CHUNK]
            items = await lana.generate_insights_batch(
                admin,
                GenerateInsightsBatch(customer_ids=chunk, refresh=refresh),
                progress=lambda _done, _total: bar.update(1),
            )
            outcome.update(_kind(item.insight, item.error) for item in items)
    return outcome


def _kind(insight: Insight | None, error: str | None) -> str:
    if insight is None:
        return f"failed ({error})"
    return f"from {insight.source}"


async def _customer_ids(lana: Lana, admin: Actor, query: CustomerQuery) -> tuple[UUID, ...]:
    found: list[UUID] = []
    while True:
        page = await lana.list_customers(admin, query)
        found.extend(customer.id for customer in page.items)
        if page.next_cursor is None:
            return tuple(found)
        query = CustomerQuery(status=query.status, page=PageRequest.of(query.page.limit, page.next_cursor))
