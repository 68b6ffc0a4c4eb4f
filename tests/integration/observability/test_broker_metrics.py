"""The dead-letter queue's depth and the consumer's counters reach the metrics."""

from __future__ import annotations

import uuid

from lana_adapters.messaging.consumer import WebhookConsumer
from lana_adapters.messaging.inbox import InMemoryInbox
from lana_adapters.messaging.settings import MessagingSettings, WebhookRoute
from lana_adapters.telemetry import LanaMetrics
from lana_adapters.telemetry.broker import consumer_collector, dead_letter_gauge, dlq_collector
from tests.integration.messaging.events import event
from tests.integration.messaging.receiver import Receiver, always
from tests.integration.messaging.running import publish, running, until
from tests.integration.observability.scrape import series_values


async def test_a_dead_lettered_message_shows_in_the_dlq_size_and_the_delivery_counts() -> None:
    unique = uuid.uuid4().hex[:8]
    metrics = LanaMetrics()
    with Receiver() as receiver:
        receiver.script("/gone", always(410))
        settings = MessagingSettings(
            exchange=f"test.metrics.{unique}",
            queue=f"test.metrics.{unique}.n8n",
            webhook_routes=(WebhookRoute("customer.created", receiver.url("/gone")),),
        )
        consumer = WebhookConsumer(settings, InMemoryInbox())
        metrics.registry.add_collector(consumer_collector(consumer.stats, metrics))
        async with running(consumer):
            await until(lambda: consumer.stats.sessions >= 1)
            await publish(settings, [event()])
            await until(lambda: consumer.stats.dead_lettered == 1)
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
