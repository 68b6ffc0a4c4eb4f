"""Spans of the whole process land in one in-memory exporter the tests read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lana_adapters.settings import Settings
from lana_http import create_app
from tests.e2e.conftest import http_settings, make_container
from tests.integration.sql.databases import sqlite_database

METRICS_TOKEN = "metrics-token-for-tests"


@pytest.fixture(scope="session")
def exporter() -> InMemorySpanExporter:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    memory = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return memory


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    exporter.clear()
    yield exporter
    exporter.clear()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return sqlite_database(tmp_path)


@pytest.fixture
def app(database_url: str, spans: InMemorySpanExporter) -> Litestar:
    settings = Settings.from_env(
        {"LANA_DATABASE_URL": database_url, "LANA_METRICS_TOKEN": METRICS_TOKEN, "LANA_LOG_FORMAT": "json"}
    )
    # The tests relay the outbox through kombu themselves.
    return create_app(make_container(settings, embedded_relay=False), http_settings())


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app) as client:
        yield client
