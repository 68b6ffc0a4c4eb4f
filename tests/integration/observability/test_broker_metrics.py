"""The dead-letter queue's depth and the consumer's counters reach the metrics."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_adapters.telemetry import LanaMetrics
from lana_adapters.telemetry.broker import consumer_collector, dead_letter_gauge, dlq_collector
from tests.integration.messaging.one_path import one_path
from tests.integration.messaging.receiver import Receiver
from tests.integration.messaging.running import running, until
from tests.integration.messaging.test_consumer import _publish_raw
from tests.integration.observability.scrape import series_values


async def test_a_dead_lettered_message_shows_in_the_dlq_size_and_the_delivery_counts(tmp_path: Path) -> None:
    unique = uuid.uuid4().hex[:8]
    metrics = LanaMetrics()
    with Receiver() as receiver:
        settings = MessagingSettings(
            exchange=f"test.metrics.{unique}",
            queue=f"test.metrics.{unique}.n8n",
            webhook_routes=(WebhookRoute("customer.created", receiver.url("/hook")),),
        )
        async with one_path(settings, directory=tmp_path) as path:
            metrics.registry.add_collector(consumer_collector(path.stats, metrics))
            async with running(path):
                await path.started()
                await asyncio.to_thread(_publish_raw, settings, [(b"{not json", {})])
                await until(lambda: path.stats.dead_lettered == 1)
                metrics.registry.add_collector(dlq_collector(settings, metrics))
                text = await metrics.registry.render()
    values = series_values(text)
    assert values["lana_consumer_dlq_messages"] == 1, text
    assert values['lana_consumer_deliveries_total{outcome="dead_lettered"}'] == 1, text


def test_the_api_reads_the_dlq_only_from_a_real_broker() -> None:
    for environ in ({}, {"LANA_BROKER_URL": "memory://"}):
        metrics = LanaMetrics()
        with dead_letter_gauge(MessagingSettings.from_env(environ), metrics):
            assert metrics.registry.collectors == ()
    metrics = LanaMetrics()
    with dead_letter_gauge(MessagingSettings(broker_url="amqp://lana@rabbitmq//"), metrics):
        during = metrics.registry.collectors
    assert len(during) == 1
    assert metrics.registry.collectors == ()
