"""``lana demo``: load a sample tenant to explore the API with."""

from __future__ import annotations

import secrets

import click
from dependency_injector import providers

from lana_adapters.container import container_for, start, stop
from lana_adapters.settings import Settings
from lana_core.memory import ManualClock
from lana_http.cli._context import load_settings, migrate_database
from lana_http.cli._demo_data import DemoLoader, DemoPlan, DemoSummary, SeededIds, midnight_utc
from lana_http.cli._errors import failure, run


@click.command()
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same data.")
@click.option("--customers", type=click.IntRange(1, 5_000), default=300, show_default=True)
@click.option("--tenant", default="demo", show_default=True, help="Slug of the sample tenant.")
def demo(seed: int, customers: int, tenant: str) -> None:
    """Load a sample tenant: customers, projects, tasks, interactions and 90 days of analytics."""
    settings, http = load_settings()
    try:
        migrate_database(settings)
    except Exception as error:
        raise failure(error) from None
    password = http.admin_password or secrets.token_urlsafe(18)
    plan = DemoPlan(seed=seed, customers=customers, tenant=tenant, password=password)
    summary = run(lambda: _load(settings, plan))
    click.echo(
        f"Loaded tenant {summary.tenant!r}: {summary.customers} customers, {summary.projects} projects, "
        f"{summary.tasks} tasks, {summary.interactions} interactions, {summary.events} events, "
        f"{summary.insights} insights."
    )
    click.echo(f"Sign in as {summary.admin_email} (tenant {summary.tenant!r}).")
    if http.admin_password is None:
        click.echo(f"Password of every demo user (shown once): {password}")


async def _load(settings: Settings, plan: DemoPlan) -> DemoSummary:
    now = midnight_utc()
    clock = ManualClock(now)
    container = container_for(settings)
    container.clock.override(providers.Object(clock))
    container.ids.override(providers.Object(SeededIds(plan.seed)))
    services = await start(container)
    try:
        return await DemoLoader(services.lana, clock, plan, now).load()
    finally:
        await stop(container)
