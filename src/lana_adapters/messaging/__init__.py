"""Event delivery: the outbox relay, the kombu publisher, the n8n webhook consumer and in-process
subscribers.

Import from the modules: ``relay`` (:class:`~lana_adapters.messaging.relay.OutboxRelay`),
``publisher`` (:class:`~lana_adapters.messaging.publisher.KombuEventPublisher`),
``consumer`` (:class:`~lana_adapters.messaging.consumer.WebhookConsumer`), ``subscribers``,
``inbox``, ``dlq``, ``health``, ``settings``, and ``runtime`` (``run_relay``,
``run_consumer``). This package file imports nothing, so the inbox table can be loaded
without kombu installed.
"""
