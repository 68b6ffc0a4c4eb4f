"""The Litestar application: routes under /api/v1, health, OpenAPI docs, errors as problems, and the
web app's pages at /."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from litestar import Controller, Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from lana_adapters.container import Container, start, stop
from lana_adapters.telemetry import configure_logging
from lana_http.auth.controller import AuthController
from lana_http.auth.middleware import PUBLIC_PATHS, BearerAuthMiddleware
from lana_http.auth.sessions import token_service
from lana_http.bodies import JsonRequest
from lana_http.controllers._common import API
from lana_http.controllers.analytics import AnalyticsController
from lana_http.controllers.api_keys import ApiKeyController
from lana_http.controllers.customer_merge import CustomerMergeController
from lana_http.controllers.customer_transfer import CustomerTransferController
from lana_http.controllers.customers import CustomerController
from lana_http.controllers.events_stream import EVENT_STREAM_KEY, EventStreamController
from lana_http.controllers.history import InsightBatchController, InsightController, InteractionController
from lana_http.controllers.import_jobs import ImportJobController
from lana_http.controllers.metrics import MetricsController
from lana_http.controllers.tenancy import SignupController, TenantController, UserController
from lana_http.controllers.webhooks import WebhookController
from lana_http.controllers.work import ProjectController, TaskController
from lana_http.health import HealthController
from lana_http.middleware.headers import add_security_headers
from lana_http.middleware.hosts import AllowedHostsMiddleware
from lana_http.middleware.idempotency import IdempotencyMiddleware
from lana_http.middleware.rate_limit import LimitBy, RateLimitMiddleware
from lana_http.middleware.request_metrics import request_counter
from lana_http.observability import METRICS_STATE_KEY, ObservabilityMiddleware
from lana_http.openapi import ContractJsonRenderPlugin
from lana_http.parameters import strict_query_parameters
from lana_http.problems import EXCEPTION_HANDLERS
from lana_http.reference import OfflineScalarRenderPlugin
from lana_http.runtime import STATE_KEY, Runtime, provide_actor, provide_lana, provide_runtime
from lana_http.settings import HttpSettings
from lana_http.web import pages_for_browsers, template_config, web_handlers

DOCS_PATH = "/schema"

_EXPOSED_HEADERS = [
    "ETag",
    "Location",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "Idempotent-Replayed",
]


def create_app(container: Container, http: HttpSettings | None = None) -> Litestar:
    """The API over the container's adapters; resources open at start-up and close at shutdown.

    ``http`` defaults to the ``http`` group of the container's settings.
    """
    settings = http or container.settings().http
    metrics = container.metrics()
    # No token, no /metrics (404): the API port is no place for an open view of the process.
    scrape = [MetricsController] if container.settings().telemetry.metrics_token else []

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # The HTTP server owns the process's log output (commands keep theirs), from the
        # start: opening the adapters logs what they chose.
        configure_logging(container.settings())
        services = await start(container)
        try:
            tokens = token_service(services, settings)
            app.state[STATE_KEY] = Runtime(services=services, tokens=tokens, http=settings)
            app.state[EVENT_STREAM_KEY] = services.event_stream
            yield
        finally:
            await stop(container)

    return Litestar(
        route_handlers=[HealthController, *scrape, *_api(settings), *web_handlers()],
        lifespan=[lifespan],
        dependencies={
            "lana": Provide(provide_lana, sync_to_thread=False),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "runtime": Provide(provide_runtime, sync_to_thread=False),
        },
        middleware=[
            DefineMiddleware(ObservabilityMiddleware, access_log=settings.access_log),
            *_middleware(settings),
        ],
        state=State({METRICS_STATE_KEY: metrics}),
        exception_handlers=pages_for_browsers(EXCEPTION_HANDLERS),  # type: ignore[arg-type]
        request_class=JsonRequest,
        before_request=strict_query_parameters(API),
        before_send=[add_security_headers, request_counter(metrics)],
        cors_config=_cors(settings),
        request_max_body_size=settings.max_body_bytes,
        openapi_config=_openapi(),
        template_config=template_config(),
        # configure_logging owns the root logger; Litestar's own config would add a second
        # handler that prints every line again.
        logging_config=None,
        debug=False,
    )


def _api(settings: HttpSettings) -> list[type[Controller]]:
    # Controllers carry the /api/v1 prefix themselves: a Router around them would be
    # deep-copied at registration, which makes every app take noticeably longer to build.
    handlers: list[type[Controller]] = [
        AuthController,
        TenantController,
        UserController,
        ApiKeyController,
        WebhookController,
        CustomerController,
        CustomerTransferController,
        ImportJobController,
        CustomerMergeController,
        InteractionController,
        InsightController,
        InsightBatchController,
        ProjectController,
        TaskController,
        AnalyticsController,
        EventStreamController,
    ]
    if settings.allow_signup:
        handlers.append(SignupController)
    return handlers


def _middleware(settings: HttpSettings) -> list[DefineMiddleware]:
    # Outermost first: refuse foreign hosts, count the client, authenticate, count the
    # tenant, then answer retries of creates from the idempotency store. A limit switched
    # off (0) leaves its layer out rather than have every request pass through it.
    client_limit = settings.rate_limit_per_minute > 0
    tenant_limit = settings.tenant_rate_limit_per_minute > 0
    return [
        DefineMiddleware(AllowedHostsMiddleware, allowed=settings.allowed_hosts),
        *([DefineMiddleware(RateLimitMiddleware, by=LimitBy.CLIENT)] if client_limit else []),
        DefineMiddleware(BearerAuthMiddleware, exclude=PUBLIC_PATHS),
        *([DefineMiddleware(RateLimitMiddleware, by=LimitBy.TENANT)] if tenant_limit else []),
        DefineMiddleware(IdempotencyMiddleware),
    ]


def _cors(settings: HttpSettings) -> CORSConfig | None:
    if not settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
        expose_headers=_EXPOSED_HEADERS,
        allow_credentials=False,
        max_age=600,
    )


def _openapi() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Lana API",
        version=_version(),
        description="Lana CRM over HTTP. Errors are RFC 9457 problem documents (application/problem+json).",
        path=DOCS_PATH,
        render_plugins=[OfflineScalarRenderPlugin(docs_path=DOCS_PATH), ContractJsonRenderPlugin()],
        components=Components(
            security_schemes={
                "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
                "apiKey": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="lana_sk_<tenant>_<key>_<secret>",
                    description="An API key (see `POST /api/v1/api-keys`), sent as a bearer token.",
                ),
            }
        ),
        security=[{"bearer": []}, {"apiKey": []}],
        use_handler_docstrings=True,
    )


def _version() -> str:
    try:
        return version("lana")
    except PackageNotFoundError:
        return "0.0.0"
