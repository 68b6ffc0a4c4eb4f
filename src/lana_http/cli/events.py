"""``lana relay``, ``lana consume``, ``lana dlq``: the event delivery workers and the dead-letter queue."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import click

from lana_adapters.messaging.dlq import dlq_list, dlq_purge, dlq_replay
from lana_adapters.messaging.runtime import run_consumer, run_relay, run_until_signalled
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.settings import Settings
from lana_adapters.telemetry import configure_logging, configure_telemetry
from lana_adapters.telemetry.exposition import EndpointOptions
from lana_http.cli._errors import failure

T = TypeVar("T")


def _settings() -> MessagingSettings:
    try:
        return MessagingSettings.from_env(os.environ)
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _observed(work: Callable[[EndpointOptions | None], T]) -> T:
    """Run a worker with its logs and traces set up as LANA_LOG_* and LANA_OTEL_* say, and
    its HTTP endpoint (metrics, liveness) as LANA_WORKER_METRICS_* say."""
    settings = _one_line(Settings.from_env)
    configure_logging(settings)
    telemetry = configure_telemetry(settings)
    try:
        return _one_line(lambda: work(EndpointOptions.of(settings)))
    finally:
        telemetry.shutdown()


def _one_line(work: Callable[[], T]) -> T:
    """Run ``work``; any failure becomes one line on stderr and a non-zero exit."""
    try:
        return work()
    except click.ClickException:
        raise
    except Exception as error:
        raise failure(error) from None


@click.command()
def relay() -> None:
    """Publish committed outbox events to LANA_BROKER_URL until SIGTERM."""
    settings = _settings()
    stats = _observed(
        lambda endpoint: run_until_signalled(lambda stop: run_relay(settings, stop, endpoint=endpoint))
    )
    click.echo(f"relay stopped: {stats.published} published, {stats.dead} dead")


@click.command()
def consume() -> None:
    """POST events from LANA_CONSUMER_QUEUE to their n8n webhooks until SIGTERM."""
    settings = _settings()
    stats = _observed(
        lambda endpoint: run_until_signalled(lambda stop: run_consumer(settings, stop, endpoint=endpoint))
    )
    click.echo(f"consumer stopped: {stats.delivered} delivered, {stats.dead_lettered} dead-lettered")


@click.group()
def dlq() -> None:
    """Inspect, replay or purge the consumer's dead-letter queue."""


@dlq.command("list")
@click.option("--limit", default=100, show_default=True, help="At most this many messages.")
def list_dead(limit: int) -> None:
    """One line per dead letter: id, type, attempts, when, reason, last error."""
    for dead in _one_line(lambda: dlq_list(_settings(), limit)):
        click.echo(
            f"{dead.message_id}\t{dead.event_type}\t{dead.attempts}\t{dead.dead_at or '-'}"
            f"\t{dead.reason}\t{dead.last_error or ''}"
        )


@dlq.command()
@click.option("--id", "ids", multiple=True, help="Only these event ids.")
@click.option("--limit", type=int, help="At most this many messages.")
def replay(ids: tuple[str, ...], limit: int | None) -> None:
    """Send dead letters back to the work queue for another round of attempts."""
    count = _one_line(lambda: dlq_replay(_settings(), message_ids=ids or None, limit=limit))
    click.echo(f"replayed {count}")


@dlq.command()
@click.option("--id", "ids", multiple=True, help="Only these event ids.")
@click.confirmation_option(prompt="Delete these dead letters?")
def purge(ids: tuple[str, ...]) -> None:
    """Delete dead letters for good."""
    count = _one_line(lambda: dlq_purge(_settings(), message_ids=ids or None))
    click.echo(f"purged {count}")
