"""Property-based tests of the whole API against its own OpenAPI schema.

Every operation gets ``LANA_SCHEMATHESIS_EXAMPLES`` generated requests (default 5, or 100
under the ``ci`` hypothesis profile), valid and invalid, sent with an admin's token: no
response may be a server error, every status, content type, header and body must be the
one the schema documents, and every error must be a problem document.
"""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from litestar import Litestar
from schemathesis import checks
from schemathesis.generation.modes import GenerationMode

from lana_adapters.container import Container, start, stop
from lana_core.system import SystemClock
from lana_core.usecases.tenants import CreateTenant
from lana_http import create_app
from lana_http.auth.tokens import TokenConfig, TokenService
from tests.e2e.conftest import SECRET, http_settings, make_container
from tests.support import PASSWORD

# A few examples keep local runs short; the ci hypothesis profile asks for the full hundred.
_DEFAULT_EXAMPLES = "100" if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else "5"
EXAMPLES = int(os.environ.get("LANA_SCHEMATHESIS_EXAMPLES", _DEFAULT_EXAMPLES))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
]


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


async def _admin_token(container: Container) -> str:
    services = await start(container)
    try:
        await services.lana.create_tenant(
            CreateTenant(
                slug="fuzz",
                name="Fuzz Ltd",
                admin_email="admin@fuzz.example.com",
                admin_name="Ada",
                admin_password=PASSWORD,
            )
        )
        config = TokenConfig(
            secret=SECRET,
            issuer="lana",
            audience="lana-api",
            access_ttl=timedelta(hours=1),
            refresh_ttl=timedelta(hours=1),
        )
        tokens = TokenService(config, clock=SystemClock(), lana=services.lana)
        return (await tokens.sign_in("fuzz", "admin@fuzz.example.com", PASSWORD)).access_token
    finally:
        await stop(container)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Litestar, str]:
    url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'lana.db'}"
    token = asyncio.run(_admin_token(make_container(url)))
    app = create_app(make_container(url), http_settings(allowed_hosts=("testserver",), allow_signup=True))
    return app, token


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_keeps_to_its_schema(fuzzed: tuple[Litestar, str], mode: GenerationMode) -> None:
    app, token = fuzzed
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def exercise(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[*CHECKS, errors_are_problem_documents])

        try:
            exercise()
        except Unsatisfiable:
            continue  # an operation without inputs has no invalid request to make
        except (
            Exception,
            BaseExceptionGroup,
        ) as error:  # every operation runs; failures are reported together
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert failures == [], "\n\n".join(failures)
