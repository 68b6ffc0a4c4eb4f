"""The OpenAPI document served says what the server does: unions any clients can satisfy,
bodies closed to unknown fields, the limits and header formats the server enforces."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from lana_core.domain.tenancy import MIN_PASSWORD_LENGTH

PROBLEM_RULES = {"InteractionCreate": "anyOf", "InsightBatchRequest": "oneOf"}


@pytest.fixture
async def document(client: AsyncTestClient[Litestar]) -> dict[str, Any]:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        operation["operationId"]: operation
        for item in document["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }


def header(operation: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [p for p in operation.get("parameters", []) if p["in"] == "header" and p["name"] == name]
    return dict(found)


def unions(value: Any, path: str = "") -> list[str]:
    """Where ``oneOf`` appears, but for the rules bodies state on purpose."""
    if isinstance(value, dict):
        here = [path] if "oneOf" in value and not path.endswith("InsightBatchRequest") else []
        return here + [hit for key, item in value.items() for hit in unions(item, f"{path}/{key}")]
    if isinstance(value, list):
        return [hit for index, item in enumerate(value) for hit in unions(item, f"{path}/{index}")]
    return []


async def test_unions_are_any_of_so_an_integer_attribute_is_valid(document: dict[str, Any]) -> None:
    assert unions(document) == []
    attribute = document["components"]["schemas"]["CustomerCreate"]["properties"]["attributes"]
    kinds = [branch["type"] for branch in attribute["additionalProperties"]["anyOf"]]
    assert {"integer", "number"} <= set(kinds)


async def test_every_request_body_refuses_unknown_fields(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    bodies = {
        operation_id: operation["requestBody"]["content"]["application/json"]["schema"]
        for operation_id, operation in operations(document).items()
        # A JSON body, that is: a file (the customers import's CSV) has no fields.
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    }
    assert bodies
    for operation_id, schema in bodies.items():
        reference = schema.get("$ref") or next(b["$ref"] for b in schema["anyOf"] if "$ref" in b)
        component = schemas[reference.rsplit("/", 1)[1]]
        assert component["additionalProperties"] is False, operation_id


async def test_the_limits_the_server_enforces_are_declared(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["CustomerCreate"]["properties"]["name"]["maxLength"] == 200
    assert schemas["CustomerCreate"]["properties"]["name"]["pattern"]
    assert schemas["CustomerCreate"]["properties"]["tags"]["maxItems"] == 20
    for body, field in (("UserCreate", "password"), ("TenantCreate", "admin_password")):
        assert schemas[body]["properties"][field]["minLength"] == MIN_PASSWORD_LENGTH
    settings = schemas["TenantSettingsBody"]["properties"]
    assert settings["daily_model_call_budget"] == {"type": "integer", "minimum": 0}
    for body, rule in PROBLEM_RULES.items():
        assert rule in schemas[body], body


async def test_if_match_and_idempotency_key_formats_are_declared(document: dict[str, Any]) -> None:
    by_id = operations(document)
    for operation_id in ("updateCustomer", "archiveCustomer", "changeTenantSettings", "updateTask"):
        if_match = header(by_id[operation_id], "If-Match")
        assert if_match["required"] is True, operation_id
        assert if_match["schema"]["type"] == "string"
        assert if_match["schema"]["pattern"]
    assert header(by_id["restoreCustomer"], "If-Match")["required"] is False
    key = header(by_id["createCustomer"], "Idempotency-Key")
    assert key["schema"]["maxLength"] == 255
    assert key["schema"]["pattern"]


async def test_the_event_stream_is_declared_as_one(document: dict[str, Any]) -> None:
    answer = operations(document)["streamEvents"]["responses"]["200"]
    assert list(answer["content"]) == ["text/event-stream"]


async def test_closed_sets_of_names_list_their_spelling_and_say_any_case_is_matched(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["CustomerStatus"]["enum"] == ["prospect", "active", "inactive"]
    for name in ("CustomerStatus", "Priority", "InteractionType", "Role", "Timeframe", "SortOrder"):
        assert "Matched in any case" in schemas[name]["description"], name


async def test_lists_offer_a_count_and_document_the_total_it_adds(document: dict[str, Any]) -> None:
    found, schemas = operations(document), document["components"]["schemas"]
    for operation_id, page in (
        ("listCustomers", "CustomerPage"),
        ("listProjects", "ProjectPage"),
        ("listTasks", "TaskPage"),
        ("listInteractions", "InteractionPage"),
    ):
        (count,) = [p for p in found[operation_id]["parameters"] if p["name"] == "count"]
        assert (count["in"], count["required"], count["schema"]["type"]) == ("query", False, "boolean")
        assert schemas[page]["properties"]["total"]["anyOf"] == [{"type": "integer"}], page
        assert "total" not in schemas[page]["required"], page
    timeline = found["getCustomerTimeline"]
    assert {"limit", "cursor"} <= {p["name"] for p in timeline["parameters"]}
    assert "next_cursor" in schemas["Timeline"]["required"]


async def test_deleting_tasks_and_changing_interactions_need_if_match(document: dict[str, Any]) -> None:
    found = operations(document)
    for operation_id in ("deleteTask", "updateInteraction", "deleteInteraction"):
        operation = found[operation_id]
        assert header(operation, "If-Match")["required"] is True, operation_id
        assert {"404", "412", "428"} <= operation["responses"].keys(), operation_id
    for operation_id in ("deleteTask", "deleteInteraction"):
        assert "204" in found[operation_id]["responses"], operation_id
    assert "getInteraction" in found


async def test_api_keys_are_a_documented_way_to_authenticate(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKey"]["scheme"] == "bearer"
    assert {"apiKey": []} in document["security"]
    assert {"bearer": []} in document["security"]
