"""``lana relay``, ``lana consume``, ``lana dlq``: the event delivery workers and the dead-letter queue.

The workers' modules (kombu: ``lana[rabbitmq]``) load when a command runs, so ``lana`` itself
needs only ``lana[http]``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from lana_adapters.container import container_for
from lana_adapters.settings import Settings
from lana_adapters.telemetry import configure_logging
from lana_adapters.telemetry.exposition import EndpointOptions
from lana_http.cli._errors import failure

if TYPE_CHECKING:
    from lana_adapters.messaging.relay import RelayStats
    from lana_adapters.messaging.settings import MessagingSettings
    from lana_adapters.messaging.worker import WorkerStats

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as error:
        raise click.UsageError(str(error)) from None


def _messaging() -> MessagingSettings:
    return _settings().messaging


def _observed(settings: Settings, work: Callable[[EndpointOptions | None], T]) -> T:
    """Run a worker with its logs set up as LANA_LOG_* say and its HTTP endpoint (metrics,
    liveness) as LANA_WORKER_METRICS_* say; the worker's container sets up its traces."""
    configure_logging(settings)
    return _one_line(lambda: work(EndpointOptions.of(settings)))


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
    """Publish committed outbox events to LANA_BROKER_URL until SIGTERM (with LANA_REDIS_URL,
    to the API's live event stream too)."""
    settings = _settings()
    stats = _observed(settings, lambda endpoint: _run_relay(settings, endpoint))
    click.echo(f"relay stopped: {stats.published} published, {stats.dead} dead")


def _run_relay(settings: Settings, endpoint: EndpointOptions | None) -> RelayStats:
    from lana_adapters.messaging.runtime import relay_process, run_until_signalled

    return run_until_signalled(lambda stop: relay_process(container_for(settings), stop, endpoint=endpoint))


@click.command()
def consume() -> None:
    """POST events from LANA_CONSUMER_QUEUE to their n8n webhooks until SIGTERM."""
    settings = _settings()
    stats = _observed(settings, lambda endpoint: _run_consumer(settings, endpoint))
    click.echo(f"consumer stopped: {stats.delivered} delivered, {stats.dead_lettered} dead-lettered")


def _run_consumer(settings: Settings, endpoint: EndpointOptions | None) -> WorkerStats:
    from lana_adapters.messaging.runtime import consumer_process, run_until_signalled

    return run_until_signalled(
        lambda stop: consumer_process(container_for(settings), stop, endpoint=endpoint)
    )


@click.group()
def dlq() -> None:
    """Inspect, replay or purge the consumer's dead-letter queue."""


@dlq.command("list")
@click.option("--limit", default=100, show_default=True, help="At most this many messages.")
def list_dead(limit: int) -> None:
    """One line per dead letter: id, type, attempts, when, reason, last error (``0 messages``
    when the queue is empty, so an empty queue is told from a command that printed nothing)."""
    from lana_adapters.messaging.dlq import dlq_list

    found = _one_line(lambda: dlq_list(_messaging(), limit))
    if not found:
        click.echo("0 messages")
    for dead in found:
        click.echo(
            f"{dead.message_id}\t{dead.event_type}\t{dead.attempts}\t{dead.dead_at or '-'}"
            f"\t{dead.reason}\t{dead.last_error or ''}"
        )


@dlq.command()
@click.option("--id", "ids", multiple=True, help="Only these event ids.")
@click.option("--limit", type=int, help="At most this many messages.")
def replay(ids: tuple[str, ...], limit: int | None) -> None:
    """Send dead letters back to the work queue for another round of attempts."""
    from lana_adapters.messaging.dlq import dlq_replay

    count = _one_line(lambda: dlq_replay(_messaging(), message_ids=ids or None, limit=limit))
    click.echo(f"replayed {count}")


@dlq.command()
@click.option("--id", "ids", multiple=True, help="Only these event ids.")
@click.confirmation_option(prompt="Delete these dead letters?")
def purge(ids: tuple[str, ...]) -> None:
    """Delete dead letters for good."""
    from lana_adapters.messaging.dlq import dlq_purge

    count = _one_line(lambda: dlq_purge(_messaging(), message_ids=ids or None))
    click.echo(f"purged {count}")
