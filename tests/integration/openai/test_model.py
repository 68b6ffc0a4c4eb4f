"""The OpenAI adapter against a real local chat-completions server."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from lana_adapters.openai import OpenAIInsightModel, OpenAISettings
from lana_adapters.openai.schema import INSIGHT_SCHEMA
from lana_core.domain.insights import ChurnRisk, InsightContext, ModelUsage, Signal
from lana_core.errors import Unavailable
from lana_core.ports import InsightModel
from tests.integration.openai.conftest import EMAIL, NOTES, PHONE, ModelFactory
from tests.integration.openai.fake_server import DEFAULT_MODEL, VALID_ANSWER, FakeChatServer, Reply


async def reason_for(model: OpenAIInsightModel, context: InsightContext) -> str:
    with pytest.raises(Unavailable) as raised:
        await model.assess(context)
    return raised.value.message


def answer_with(**changes: Any) -> dict[str, Any]:
    answer = dict(VALID_ANSWER)
    answer.update(changes)
    return answer


async def test_valid_answer_becomes_a_draft_with_usage_and_the_reported_model(
    model_for: ModelFactory, context: InsightContext
) -> None:
    draft = await model_for().assess(context)

    assert draft.health_score == 72
    assert draft.churn_risk is ChurnRisk.MEDIUM
    assert draft.summary == VALID_ANSWER["summary"]
    assert draft.recommendations == tuple(VALID_ANSWER["recommendations"])
    assert draft.signals[0] == Signal("overdue_project", "One project is past its due date.", -10)
    assert draft.model == DEFAULT_MODEL
    assert draft.usage == ModelUsage(prompt_tokens=321, completion_tokens=87)


async def test_model_name_falls_back_to_the_configured_one_when_the_server_omits_it(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    server.enqueue(Reply.completion(model=None, usage={}))

    draft = await model_for(model="llama3.1:8b").assess(context)

    assert draft.model == "llama3.1:8b"
    assert draft.usage == ModelUsage()


async def test_request_names_the_model_and_asks_for_the_strict_insight_schema(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    await model_for(model="gpt-4o-mini", max_output_tokens=600).assess(context)

    [request] = server.requests
    body = request.json()
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == "Bearer test-key"
    assert body["model"] == "gpt-4o-mini"
    assert body["max_completion_tokens"] == 600
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["strict"] is True
    assert body["response_format"]["json_schema"]["schema"] == INSIGHT_SCHEMA
    assert body["response_format"]["json_schema"]["schema"]["additionalProperties"] is False
    assert [m["role"] for m in body["messages"]] == ["system", "user"]


async def test_model_sees_exactly_the_documented_fields(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    await model_for().assess(context)

    sent = json.loads(server.requests[0].json()["messages"][1]["content"])
    assert set(sent) == {
        "today", "customer", "projects", "tasks", "recent_projects", "interactions"
    }  # fmt: skip
    assert sent["interactions"] == {"count": 12, "last_30_days": 4, "days_since_last": 9}
    assert set(sent["customer"]) == {"name", "company", "value", "status", "tags", "customer_for_days"}
    assert set(sent["recent_projects"][0]) == {"title", "status", "priority", "due_date", "overdue"}
    assert sent["recent_projects"][0]["overdue"] is True
    assert sent["tasks"] == {"total": 20, "completed": 17, "completion_rate": 0.85}


async def test_prompt_leaves_out_contact_details_notes_and_ids_by_default(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    await model_for().assess(context)

    sent = server.requests[0].body.decode()
    assert "Ada Lovelace" in sent
    assert "Difference engine migration" in sent
    for private in (EMAIL, PHONE, "2079460018", NOTES, "AE-99812", "Secret internal description"):
        assert private not in sent
    for identifier in (context.customer.id, context.customer.tenant_id, context.customer.owner_id):
        assert str(identifier) not in sent


async def test_prompt_includes_email_and_phone_when_contact_details_are_enabled(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    await model_for(send_contact_details=True).assess(context)

    sent = server.requests[0].body.decode()
    assert EMAIL in sent
    assert PHONE in sent
    assert NOTES not in sent


async def test_slow_answer_times_out_within_the_deadline(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    server.enqueue(Reply.completion(delay_seconds=5))
    started = time.monotonic()

    reason = await reason_for(model_for(timeout_seconds=0.5), context)

    assert reason == "timeout"
    assert time.monotonic() - started < 0.5 + 0.4


async def test_answer_trickling_in_slower_than_the_deadline_times_out(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    # Each piece arrives well within the read timeout; only a deadline on the whole call stops it.
    server.enqueue(Reply.completion(trickle_seconds=0.1))
    started = time.monotonic()

    reason = await reason_for(model_for(timeout_seconds=0.6), context)

    assert reason == "timeout"
    assert time.monotonic() - started < 0.6 + 0.4


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (429, "rate_limited"),
        (500, "server_error"),
        (503, "server_error"),
        (400, "bad_request"),
        (401, "bad_request"),
        (404, "bad_request"),
    ],
)
async def test_error_status_is_reported_with_its_reason(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext, status: int, reason: str
) -> None:
    server.enqueue(Reply.error(status))

    assert await reason_for(model_for(max_retries=0), context) == reason


async def test_failed_call_is_retried_once_by_default(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    server.default = Reply.error(500)

    assert await reason_for(model_for(), context) == "server_error"

    assert len(server.requests) == 2


async def test_no_retry_when_set_to_none(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    server.default = Reply.error(500)

    await reason_for(model_for(max_retries=0), context)

    assert len(server.requests) == 1


async def test_a_client_error_is_never_retried(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    server.default = Reply.error(400)

    assert await reason_for(model_for(max_retries=3), context) == "bad_request"

    assert len(server.requests) == 1


async def test_configured_retry_recovers_from_one_server_error(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    server.enqueue(Reply.error(500), Reply.completion())

    draft = await model_for(max_retries=1).assess(context)

    assert draft.health_score == 72
    assert len(server.requests) == 2


async def test_closed_port_is_a_connection_error(context: InsightContext, closed_port: int) -> None:
    settings = OpenAISettings(api_key="k", base_url=f"http://127.0.0.1:{closed_port}/v1", timeout_seconds=2)
    model = OpenAIInsightModel(settings)

    assert await reason_for(model, context) == "connection_error"
    await model.aclose()


async def test_answer_that_is_not_json_is_invalid_output(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    server.enqueue(Reply.completion('{"health_score": 72, "churn_risk": "medium", "summ'))

    assert await reason_for(model_for(), context) == "invalid_output: answer is not a JSON object"


async def test_response_body_that_is_not_json_is_invalid_output(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    server.enqueue(Reply(body=b"<html>gateway</html>", content_type="text/html"))

    assert await reason_for(model_for(), context) == "invalid_output: response body is not a JSON object"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(answer_with(health_score=150), id="score-above-100"),
        pytest.param(answer_with(health_score=-1), id="score-below-0"),
        pytest.param(answer_with(health_score=72.5), id="score-not-integer"),
        pytest.param(answer_with(health_score="72"), id="score-as-string"),
        pytest.param(answer_with(churn_risk="severe"), id="unknown-churn-risk"),
        pytest.param(answer_with(summary=" "), id="blank-summary"),
        pytest.param(answer_with(summary="x" * 2_001), id="summary-too-long"),
        pytest.param(answer_with(recommendations=["do it"] * 11), id="too-many-recommendations"),
        pytest.param(answer_with(recommendations=[42]), id="recommendation-not-text"),
        pytest.param(
            answer_with(signals=[{"name": "n", "detail": "d", "weight": 1}] * 21), id="too-many-signals"
        ),
        pytest.param(answer_with(signals=[{"name": "n", "detail": "d", "weight": 500}]), id="signal-weight"),
        pytest.param(answer_with(signals=[{"name": "n", "detail": "d"}]), id="signal-missing-weight"),
        pytest.param({k: v for k, v in VALID_ANSWER.items() if k != "summary"}, id="missing-field"),
        pytest.param(answer_with(confidence=0.9), id="unexpected-field"),
        pytest.param([VALID_ANSWER], id="array-at-the-root"),
    ],
)
async def test_answer_breaking_the_schema_is_invalid_output(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext, answer: Any
) -> None:
    server.enqueue(Reply.completion(json.dumps(answer)))

    assert (await reason_for(model_for(), context)).startswith("invalid_output: ")


async def test_refusal_is_reported_as_refusal(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    server.enqueue(Reply.completion(None, refusal="I can't help with that request."))

    assert await reason_for(model_for(), context) == "refusal"


async def test_content_filter_stop_is_reported_as_refusal(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    server.enqueue(Reply.completion(None, finish_reason="content_filter"))

    assert await reason_for(model_for(), context) == "refusal"


async def test_answer_cut_at_the_token_limit_is_invalid_output(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    server.enqueue(Reply.completion('{"health_score": 72', finish_reason="length"))

    assert await reason_for(model_for(), context) == "invalid_output: answer truncated at the token limit"


async def test_adapter_connects_on_first_use_and_reuses_its_connection(
    server: FakeChatServer, context: InsightContext, closed_port: int
) -> None:
    unreachable = OpenAIInsightModel(OpenAISettings(api_key="k", base_url=f"http://127.0.0.1:{closed_port}"))
    model = OpenAIInsightModel(OpenAISettings(api_key="k", base_url=server.base_url))

    await model.assess(context)
    await model.assess(context)

    assert len({request.connection for request in server.requests}) == 1
    await unreachable.aclose()
    await model.aclose()


async def test_closed_adapter_opens_a_new_client_on_next_use(
    server: FakeChatServer, model_for: ModelFactory, context: InsightContext
) -> None:
    model = model_for()
    await model.assess(context)
    await model.aclose()

    draft = await model.assess(context)

    assert draft.health_score == 72


def test_adapter_keeps_working_when_each_call_runs_in_a_new_event_loop(
    server: FakeChatServer, context: InsightContext
) -> None:
    # A CLI or worker that calls asyncio.run per job must not reuse connections of a closed loop.
    model: InsightModel = OpenAIInsightModel(OpenAISettings(api_key="k", base_url=server.base_url))

    scores = [asyncio.run(model.assess(context)).health_score for _ in range(3)]

    assert scores == [72, 72, 72]
