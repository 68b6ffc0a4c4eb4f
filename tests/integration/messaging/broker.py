"""A real RabbitMQ for the messaging tests: unique names per test, bound queues, reading them back."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterable
from typing import Any

from attrs import evolve

from lana_adapters.messaging._kombu import Connection, Exchange, Queue
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_adapters.messaging.topology import Topology

RABBITMQ_ENV = "LANA_TEST_RABBITMQ_URL"
RABBITMQ_MISSING = f"set {RABBITMQ_ENV} (e.g. amqp://guest:guest@127.0.0.1:5672//) to run"


def rabbitmq_unavailable() -> str | None:
    return None if os.environ.get(RABBITMQ_ENV) else RABBITMQ_MISSING


def unique_settings(url: str, **changes: Any) -> MessagingSettings:
    """Settings whose exchange and queues no other test uses, with fast retries."""
    tag = secrets.token_hex(4)
    base = MessagingSettings(
        broker_url=url,
        exchange=f"test.{tag}.events",
        queue=f"test.{tag}.work",
        heartbeat_seconds=10,
        connect_timeout_seconds=2,
        publish_max_retries=1,
        confirm_timeout_seconds=5,
        webhook_routes=(WebhookRoute("#", "http://127.0.0.1:9/unused"),),
        retry_delays_ms=(100, 200, 400),
        relay_lease_seconds=2,
        relay_poll_seconds=0.05,
        backoff_max_seconds=0.5,
    )
    return evolve(base, **changes)


def bind(settings: MessagingSettings, pattern: str = "#", **queue_arguments: Any) -> str:
    """A durable queue bound to the settings' exchange, gone ten minutes after its last use (a
    test on a loaded machine may leave it idle for more than a minute before reading it)."""
    name = f"{settings.exchange}.probe.{secrets.token_hex(3)}"
    with Connection(settings.broker_url) as conn:
        channel = conn.channel()
        exchange = Exchange(settings.exchange, type="topic", durable=True)
        exchange(channel).declare()
        arguments = {"x-expires": 600_000, **queue_arguments}
        Queue(name, exchange, routing_key=pattern, durable=True, queue_arguments=arguments)(channel).declare()
    return name


def read(settings: MessagingSettings, queue: str, count: int, timeout: float = 5.0) -> list[Any]:
    """Take up to ``count`` messages from ``queue`` (acknowledged), waiting at most ``timeout``."""
    messages: list[Any] = []
    deadline = time.monotonic() + timeout
    with Connection(settings.broker_url) as conn:
        q = Queue(name=queue, no_declare=True)(conn.channel())
        while len(messages) < count and time.monotonic() < deadline:
            message = q.get(no_ack=True)
            if message is None:
                time.sleep(0.02)
                continue
            messages.append(message)
    return messages


def depth(settings: MessagingSettings, queue: str) -> int:
    with Connection(settings.broker_url) as conn:
        _, count, _ = conn.channel().queue_declare(queue=queue, passive=True)
        return int(count)


def delete(settings: MessagingSettings, queues: Iterable[str] = ()) -> None:
    """Remove the settings' exchange, consumer queues and ``queues``; missing ones are fine."""
    names = [*Topology.of(settings).all_queues, *queues]
    with Connection(settings.broker_url) as conn:
        for name in names:
            conn.channel().queue_delete(queue=name)
        conn.channel().exchange_delete(exchange=settings.exchange)


def close_all_connections() -> bool:
    """Force-close every client connection of the local broker; False when rabbitmqctl is missing."""
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        return False
    result = subprocess.run(
        [ctl, "close_all_connections", "test: dropped on purpose"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return result.returncode == 0
