"""What an insight records when the model server misbehaves, against a real local server: the
fallback reason each failure is stored (and counted) under, the settings the adapter is built
with, and a huge answer read no further than the limit."""

from __future__ import annotations

import asyncio
import json
import time
import tracemalloc
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dependency_injector import providers

from lana_adapters.container import Container, container_for, resolve, stop
from lana_adapters.openai import OpenAISettings
from lana_adapters.openai.parsing import MAX_BODY_BYTES
from lana_adapters.settings import Settings
from lana_core.domain.insights import Insight, InsightSource
from lana_core.domain.tenancy import Actor
from lana_core.ports import InsightModel
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from lana_core.usecases.insights import GenerateInsight, GenerateInsightHandler, InsightOptions
from tests.integration.openai.conftest import ModelFactory
from tests.integration.openai.fake_server import VALID_ANSWER, FakeChatServer, Reply

HUGE = 30 * 1024 * 1024


class Generation:
    """Insights of new customers generated with a model; remembers the fallback codes counted."""

    def __init__(self, kernel: Kernel, admin: Actor, **options: Any) -> None:
        self.kernel, self.admin = kernel, admin
        self.codes: list[str] = []
        self.options = InsightOptions(on_fallback=self.codes.append, **{"deadline_seconds": 5, **options})

    def handler(self, model: InsightModel) -> GenerateInsightHandler:
        """A handler keeps its breaker: reuse one to see the breaker at work."""
        return GenerateInsightHandler(self.kernel, model, options=self.options)

    async def insight(self, model: InsightModel, handler: GenerateInsightHandler | None = None) -> Insight:
        customer = await CreateCustomerHandler(self.kernel)(self.admin, CreateCustomer(name="Ada Lovelace"))
        generate = handler or self.handler(model)
        return await generate(self.admin, GenerateInsight(customer_id=customer.id))


@pytest.fixture
def generation(kernel: Kernel, admin: Actor) -> Generation:
    return Generation(kernel, admin)


def completion(**answer: Any) -> Reply:
    return Reply.completion(json.dumps({**VALID_ANSWER, **answer}))


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        pytest.param(completion(health_score=150), "invalid_output: ", id="out-of-range"),
        pytest.param(Reply.completion("not json at all"), "invalid_output: ", id="not-json"),
        pytest.param(
            Reply(body=b"<html>gateway</html>", content_type="text/html"), "invalid_output: ", id="html"
        ),
        pytest.param(Reply.completion(None, refusal="I can't help with that."), "refusal", id="refusal"),
        pytest.param(Reply.completion(None, finish_reason="content_filter"), "refusal", id="filtered"),
        pytest.param(Reply.error(429, kind="rate_limit_exceeded"), "rate_limited", id="429"),
        pytest.param(Reply.error(503), "model_unavailable: server_error", id="503"),
        pytest.param(Reply.error(401), "model_unavailable: bad_request", id="401"),
    ],
)
async def test_each_failure_is_recorded_under_its_own_reason(
    server: FakeChatServer, model_for: ModelFactory, generation: Generation, reply: Reply, reason: str
) -> None:
    server.default = reply

    insight = await generation.insight(model_for())

    assert insight.source is InsightSource.RULES
    assert insight.fallback_reason is not None
    assert insight.fallback_reason.startswith(reason)
    assert generation.codes == [reason.partition(":")[0]]


async def test_a_hang_past_the_clients_timeout_is_recorded_as_a_timeout(
    server: FakeChatServer, model_for: ModelFactory, generation: Generation
) -> None:
    server.default = Reply.completion(delay_seconds=5)
    started = time.monotonic()

    insight = await generation.insight(model_for(timeout_seconds=0.5))

    assert (insight.fallback_reason, generation.codes) == ("timeout", ["timeout"])
    assert time.monotonic() - started < 2


async def test_a_429_asking_for_more_time_than_is_left_is_rate_limited_at_once(
    server: FakeChatServer, model_for: ModelFactory, generation: Generation
) -> None:
    server.default = Reply.error(429, headers={"retry-after": "30"})
    started = time.monotonic()

    insight = await generation.insight(model_for(timeout_seconds=3, max_retries=2))

    assert (insight.fallback_reason, generation.codes) == ("rate_limited", ["rate_limited"])
    assert time.monotonic() - started < 1
    assert len(server.requests) == 1


async def test_a_429_is_retried_when_the_wait_fits_the_deadline(
    server: FakeChatServer, model_for: ModelFactory, generation: Generation
) -> None:
    server.enqueue(Reply.error(429, headers={"retry-after-ms": "50"}), Reply.completion())

    insight = await generation.insight(model_for(timeout_seconds=3, max_retries=1))

    assert (insight.source, insight.fallback_reason) == (InsightSource.LLM, None)
    assert len(server.requests) == 2


@pytest.mark.parametrize("chunked", [True, False], ids=["streamed", "with-length"])
async def test_a_30_mb_answer_is_refused_without_being_read_whole(
    server: FakeChatServer, model_for: ModelFactory, generation: Generation, chunked: bool
) -> None:
    model = model_for(timeout_seconds=10)
    await generation.insight(model)  # the first call imports the SDK's modules: not counted
    server.default = Reply.huge(HUGE, chunked=chunked)
    tracemalloc.start()
    try:
        insight = await generation.insight(model)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert insight.fallback_reason == "invalid_output: response body too large"
    assert generation.codes == ["invalid_output"]
    assert peak < 4 * MAX_BODY_BYTES
    # The client hung up at (or soon after) the limit: the server never got the rest out.
    assert (await _reply_ended(server, 1)) < HUGE // 2


async def _reply_ended(server: FakeChatServer, index: int) -> int:
    """Bytes reply ``index`` got out, once the server noticed the client left."""
    for _ in range(200):
        if len(server.sent) > index:
            return server.sent[index]
        await asyncio.sleep(0.01)
    raise AssertionError("the server is still sending")


async def test_an_answer_just_under_the_limit_is_read(
    server: FakeChatServer, model_for: ModelFactory, generation: Generation
) -> None:
    server.default = Reply.huge(MAX_BODY_BYTES - 1024, chunked=True)

    insight = await generation.insight(model_for())

    assert (insight.source, insight.fallback_reason) == (InsightSource.LLM, None)


@pytest.fixture
async def configured_model(server: FakeChatServer) -> AsyncIterator[InsightModel]:
    env = {
        "LANA_OPENAI_API_KEY": "test-key",
        "LANA_OPENAI_BASE_URL": server.base_url,
        "LANA_OPENAI_MAX_OUTPUT_TOKENS": "300",
    }
    container = container_for(Settings.from_env(env))  # as every process builds its model
    model = await resolve(container.insight_model)
    assert model is not None
    yield model
    await stop(container)


async def test_the_configured_max_output_tokens_reach_the_server(
    server: FakeChatServer, configured_model: InsightModel, generation: Generation
) -> None:
    insight = await generation.insight(configured_model)

    assert insight.source is InsightSource.LLM
    assert server.requests[0].json()["max_completion_tokens"] == 300


def test_the_application_reads_the_adapters_settings_with_their_defaults() -> None:
    application = Settings.from_env({"LANA_OPENAI_API_KEY": "k"}).openai
    assert application == OpenAISettings.from_env({"LANA_OPENAI_API_KEY": "k"})
    assert application.max_retries == 1


async def test_the_breaker_threshold_and_cool_down_are_settings(
    server: FakeChatServer, model_for: ModelFactory, kernel: Kernel, admin: Actor
) -> None:
    env = {"LANA_INSIGHT_BREAKER_FAILURES": "2", "LANA_INSIGHT_BREAKER_COOLDOWN_SECONDS": "45"}
    container = Container()
    container.settings.override(providers.Object(Settings.from_env(env)))
    options: InsightOptions = container.insight_options()
    assert (options.breaker_threshold, options.breaker_cooldown_seconds) == (2, 45.0)
    server.default = Reply.error(500)
    generation = Generation(kernel, admin, breaker_threshold=2, breaker_cooldown_seconds=45)
    model = model_for(max_retries=0)
    generate = generation.handler(model)

    reasons = [(await generation.insight(model, generate)).fallback_reason for _ in range(3)]

    assert reasons == ["model_unavailable: server_error"] * 2 + ["circuit_open"]
    assert len(server.requests) == 2
