"""``lana relay``, ``lana consume``, ``lana dlq``: the event delivery workers and the dead-letter queue.

The workers' modules (kombu: ``lana[rabbitmq]``) load when a command runs, so ``lana`` itself
needs only ``lana[http]``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TypeVar

import click

from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.redis.settings import RedisSettings
from lana_adapters.settings import Settings
from lana_adapters.telemetry import configure_logging, configure_telemetry
from lana_adapters.telemetry.exposition import EndpointOptions
from lana_http.cli._errors import failure

if TYPE_CHECKING:
    from lana_adapters.messaging.relay import RelayStats
    from lana_adapters.messaging.worker import WorkerStats
    from lana_adapters.redis.stream import EventStream

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
        telemetry.flush()


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
    stats = _observed(lambda endpoint: _run_relay(settings, endpoint))
    click.echo(f"relay stopped: {stats.published} published, {stats.dead} dead")


def _run_relay(settings: MessagingSettings, endpoint: EndpointOptions | None) -> RelayStats:
    from lana_adapters.messaging.runtime import run_until_signalled

    return run_until_signalled(lambda stop: _relay(settings, stop, endpoint))


async def _relay(
    settings: MessagingSettings, stop: asyncio.Event, endpoint: EndpointOptions | None
) -> RelayStats:
    from lana_adapters.messaging.runtime import run_relay

    async with _live_stream() as live:
        return await run_relay(settings, stop, endpoint=endpoint, live=live)


@asynccontextmanager
async def _live_stream() -> AsyncIterator[EventStream | None]:
    """The API's live event stream, Redis pub/sub, when LANA_REDIS_URL is set: only the relay
    sees the events of a PostgreSQL deployment as they are published."""
    redis = RedisSettings.from_env(os.environ)
    if redis is None:
        yield None
        return
    from lana_adapters.redis.pubsub import redis_event_stream

    async with redis_event_stream(redis) as stream:
        yield stream


@click.command()
def consume() -> None:
    """POST events from LANA_CONSUMER_QUEUE to their n8n webhooks until SIGTERM."""
    settings = _settings()
    stats = _observed(lambda endpoint: _run_consumer(settings, endpoint))
    click.echo(f"consumer stopped: {stats.delivered} delivered, {stats.dead_lettered} dead-lettered")


def _run_consumer(settings: MessagingSettings, endpoint: EndpointOptions | None) -> WorkerStats:
    from lana_adapters.messaging.runtime import run_consumer, run_until_signalled

    return run_until_signalled(lambda stop: run_consumer(settings, stop, endpoint=endpoint))


@click.group()
def dlq() -> None:
    """Inspect, replay or purge the consumer's dead-letter queue."""


@dlq.command("list")
@click.option("--limit", default=100, show_default=True, help="At most this many messages.")
def list_dead(limit: int) -> None:
    """One line per dead letter: id, type, attempts, when, reason, last error (``0 messages``
    when the queue is empty, so an empty queue is told from a command that printed nothing)."""
    from lana_adapters.messaging.dlq import dlq_list

    found = _one_line(lambda: dlq_list(_settings(), limit))
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

    count = _one_line(lambda: dlq_replay(_settings(), message_ids=ids or None, limit=limit))
    click.echo(f"replayed {count}")


@dlq.command()
@click.option("--id", "ids", multiple=True, help="Only these event ids.")
@click.confirmation_option(prompt="Delete these dead letters?")
def purge(ids: tuple[str, ...]) -> None:
    """Delete dead letters for good."""
    from lana_adapters.messaging.dlq import dlq_purge

    count = _one_line(lambda: dlq_purge(_settings(), message_ids=ids or None))
    click.echo(f"purged {count}")
