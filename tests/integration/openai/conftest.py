"""Fixtures: a fake chat-completions server per test and a customer to assess."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from lana_adapters.openai import OpenAIInsightModel, OpenAISettings
from lana_core.domain.customers import ContactDetails, Customer, CustomerStatus, CustomerValue
from lana_core.domain.insights import InsightContext
from lana_core.domain.projects import Priority, Project, ProjectStats, TaskStats
from tests.integration.openai.fake_server import FakeChatServer

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
EMAIL = "ada.lovelace@example.com"
PHONE = "+442079460018"
NOTES = "Prefers calls before noon; daughter starts school in May."

ModelFactory = Callable[..., OpenAIInsightModel]


def make_context() -> InsightContext:
    tenant_id, customer_id = uuid4(), uuid4()
    details = ContactDetails.parse(
        name="Ada Lovelace",
        email=EMAIL,
        phone=PHONE,
        company="Analytical Engines Ltd",
        notes=NOTES,
        tags=["enterprise", "uk"],
        attributes={"account_number": "AE-99812"},
    )
    customer = Customer.create(
        id=customer_id,
        tenant_id=tenant_id,
        details=details,
        value=CustomerValue.HIGH,
        status=CustomerStatus.ACTIVE,
        owner_id=uuid4(),
        now=datetime(2025, 6, 1, tzinfo=UTC),
    )
    project = Project.create(
        id=uuid4(),
        tenant_id=tenant_id,
        customer_id=customer_id,
        title="Difference engine migration",
        description="Secret internal description",
        priority=Priority.HIGH,
        due_date=date(2026, 2, 1),
        assignee_id=None,
        created_by=uuid4(),
        now=datetime(2025, 12, 1, tzinfo=UTC),
    )
    return InsightContext(
        customer=customer,
        project_stats=ProjectStats(total=4, done=2, in_progress=1, overdue=1),
        task_stats=TaskStats(total=20, completed=17),
        recent_projects=(project,),
        interaction_count=12,
        days_since_last_interaction=9,
        interactions_last_30_days=4,
        now=NOW,
    )


@pytest.fixture
def context() -> InsightContext:
    return make_context()


@pytest.fixture
def server() -> Iterator[FakeChatServer]:
    with FakeChatServer() as running:
        yield running


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def model_for(server: FakeChatServer) -> AsyncIterator[ModelFactory]:
    """Builds adapters aimed at the fake server; settings can be overridden per test."""
    built: list[OpenAIInsightModel] = []

    def build(**overrides: object) -> OpenAIInsightModel:
        options: dict[str, object] = {
            "api_key": "test-key",
            "base_url": server.base_url,
            "timeout_seconds": 2.0,
        }
        options.update(overrides)
        model = OpenAIInsightModel(OpenAISettings(**options))  # type: ignore[arg-type]
        built.append(model)
        return model

    yield build
    for model in built:
        await model.aclose()
