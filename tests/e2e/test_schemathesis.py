"""Property-based tests of the whole API against its own OpenAPI schema.

Every operation gets ``LANA_SCHEMATHESIS_EXAMPLES`` generated requests (default 5, or 100
under the ``ci`` hypothesis profile), valid and invalid, sent with an admin's token. Every
check schemathesis has runs on each answer: no server error, every status, content type,
header and body the one the schema documents, valid requests accepted and invalid ones
refused; and every error must be a problem document.

A request the schema allows may still meet a rule that depends on what is stored or on
the clock, which no schema can state: its ETag is stale (412), or the domain refuses it
(422) for one of :data:`STATEFUL_REFUSALS`. Those two statuses count as accepting valid
data; a 422 for any other reason is a rule the schema fails to state, and fails. A stale
ETag is also a refusal of invalid data: a precondition is judged before the body is.
A valid request carries no generated ``cursor``: only a cursor the API issued is one.

Hypothesis cannot make a string longer than 8 KiB, so the limits above that (notes,
descriptions, interaction content) are left out of the schema the requests are made
from; test_strict_input checks them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode

from lana_http import create_app
from tests.e2e.conftest import http_settings, make_container
from tests.support import PASSWORD

# A few examples keep local runs short; the ci hypothesis profile asks for the full hundred.
_DEFAULT_EXAMPLES = "100" if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else "5"
EXAMPLES = int(os.environ.get("LANA_SCHEMATHESIS_EXAMPLES", _DEFAULT_EXAMPLES))

TENANT = "fuzz"
ADMIN_EMAIL = "admin@fuzz.example.com"
LONGEST_GENERATED_STRING = 8 * 1024
# Operations that answer 401 to the credentials in their body, whatever the bearer token.
CREDENTIAL_CHECKS = frozenset({"login", "refreshTokens", "logout", "changePassword"})

STATEFUL_REFUSALS = frozenset(
    {
        "unknown_user",  # an owner or assignee id that is no user of the tenant
        "illegal_transition",  # a status move the record's current status does not allow
        "in_future",  # an event time after the server's clock
        "in_past",  # an API key's expiry before the server's clock
        "too_large",  # attributes whose JSON exceeds 8 KiB: a bound on bytes, not on fields
        "too_many",  # a batch whose filter matches more customers than one batch assesses
        "idempotency_key_reused",  # a key an earlier example used for another request
        # A phone number the country's numbering plan refuses (length, country code): no
        # pattern of a schema holds the plans of every country.
        "invalid_phone",
    }
)
# What a CSV file's content must be to import (text in UTF-8 or UTF-16, a header naming
# fields, rows as wide as it, each row one the domain accepts): no schema of a text body says it.
CSV_CONTENT_REFUSALS = frozenset(
    {
        "empty",
        "encoding",
        "malformed",
        "ragged",
        "unknown_column",
        "unknown_field",
        "repeated",
        "required",
        "refused",
        "no_column",  # matching by external id in a file without that column
    }
)

# What a webhook subscription's URL, patterns and filters must be is a grammar and an address
# check (resolved names, private ranges), and a redelivery range's ends are related: the schema
# states their types and lengths, the domain the rest.
WEBHOOK_CONTENT_REFUSALS = frozenset(
    {
        "required",  # a URL or a list of patterns given empty: refused with the field named (422)
        "invalid_url",
        "invalid_character",
        "private_address",
        "invalid_pattern",
        "invalid_filter",
        "not_in_format",
        "before_from",
    }
)
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", 401, 403, 404, 409, 412, 422, 429, "5xx"]
            },
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 412, 415, 422, 428, 429, "5xx"]
            },
        },
        # The event stream sends its first comment at once, then nothing for seconds.
        "operations": [{"include-operation-id": "streamEvents", "request-timeout": 0.1}],
    }
)


@schemathesis.check
def errors_are_problem_documents(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])[0]
        assert content_type.startswith("application/problem+json"), (
            f"{response.status_code} as {content_type}"
        )
        body = response.json()
        assert {"type", "title", "status", "detail"} <= body.keys()
        assert body["status"] == response.status_code


@schemathesis.check
def valid_requests_are_refused_only_for_stored_state(
    ctx: Any, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return
    problem = response.json()
    codes = {error["code"] for error in problem.get("errors") or []} or {problem["code"]}
    if case.operation.definition.raw.get("operationId") in ("importCustomers", "startCustomerImport"):
        codes -= CSV_CONTENT_REFUSALS
    if "Webhook" in case.operation.definition.raw.get("operationId", ""):
        codes -= WEBHOOK_CONTENT_REFUSALS
    assert codes <= STATEFUL_REFUSALS, f"a rule the schema does not state: {problem['detail']}"


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'lana.db'}"
    app = create_app(make_container(url), http_settings(allowed_hosts=("testserver",), allow_signup=True))
    served = schemathesis.openapi.from_asgi("/schema/openapi.json", app, config=CONFIG)
    schema = schemathesis.openapi.from_dict(within_reach(served.raw_schema), config=CONFIG)
    schema.app = app
    signup = schema.find_operation_by_id("createTenant").Case(
        body={
            "slug": TENANT,
            "name": "Fuzz Ltd",
            "admin_email": ADMIN_EMAIL,
            "admin_name": "Ada",
            "admin_password": PASSWORD,
        }
    )
    assert signup.call().status_code == 201
    return schema


def within_reach(document: Any) -> Any:
    """``document`` without the length limits no generated string can exceed."""
    if isinstance(document, dict):
        return {
            key: within_reach(value)
            for key, value in document.items()
            if not (key == "maxLength" and isinstance(value, int) and value >= LONGEST_GENERATED_STRING)
        }
    if isinstance(document, list):
        return [within_reach(item) for item in document]
    return document


def sign_in(schema: Any) -> dict[str, str]:
    """An admin's bearer header, from a sign-in over the API."""
    login = schema.find_operation_by_id("login").Case(
        body={"tenant": TENANT, "email": ADMIN_EMAIL, "password": PASSWORD}
    )
    response = login.call()
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def sent_as_generated(value: Any) -> bool:
    """Whether a query parameter with this value reaches the server as generated: one or more
    scalars. The client leaves null values off and flattens objects and nested lists, so a
    negative example built on one is sent as some other, possibly valid, request."""
    values = value if isinstance(value, list) else [value]
    return bool(values) and all(isinstance(item, str | int | float | bool) for item in values)


def exercise(
    operation: Any, mode: GenerationMode, headers: Callable[[], dict[str, str]], answered: set[int]
) -> None:
    """Send the operation its generated requests, checking each answer and adding its status
    to ``answered``; raises the failures."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def send(case: schemathesis.Case) -> None:
        query = (case.query or {}).values()
        assume(mode is GenerationMode.POSITIVE or all(map(sent_as_generated, query)))
        if mode is GenerationMode.POSITIVE and case.query:
            case.query.pop("cursor", None)
        # No list of checks: every check schemathesis has, the two above included.
        answered.add(case.call_and_validate(headers=headers()).status_code)

    send()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_keeps_to_its_schema(schema: Any, mode: GenerationMode) -> None:
    admin = sign_in(schema)
    failures = []
    answered: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        operation_id = operation.definition.raw["operationId"]
        # Signing out revokes the token it is sent with: each sign-out gets a token of its own.
        headers = (lambda: sign_in(schema)) if operation_id == "logout" else (lambda: admin)
        try:
            exercise(operation, mode, headers, answered.setdefault(operation_id, set()))
        except Unsatisfiable:
            continue  # an operation without inputs has no invalid request to make
        except (
            Exception,
            BaseExceptionGroup,
        ) as error:  # every operation runs; failures are reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert failures == [], "\n\n".join(failures)
    if mode is GenerationMode.POSITIVE:
        # Every valid request carried a token that stayed valid: the checks judged the
        # routes, not a 401 (negative examples may break the Authorization header itself).
        assert {op: s for op, s in answered.items() if 401 in s and op not in CREDENTIAL_CHECKS} == {}
