"""``GET /metrics``: the process's metrics in the Prometheus text format, behind an optional token."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.status_codes import HTTP_401_UNAUTHORIZED

from lana_adapters.telemetry import CONTENT_TYPE, LanaMetrics
from lana_adapters.telemetry.exposition import bearer_matches
from lana_http.observability import METRICS_STATE_KEY
from lana_http.runtime import runtime_of


class MetricsController(Controller):
    """Scraped by Prometheus; ``LANA_METRICS_TOKEN`` set means ``Authorization: Bearer <token>``."""

    path = "/metrics"
    include_in_schema = False

    @get("/", opt={"exclude_from_auth": True}, include_in_schema=False)
    async def scrape(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Every metric, rendered now; 401 without the configured token."""
        expected = runtime_of(request).services.settings.metrics_token
        if expected and not bearer_matches(request.headers.get("authorization", ""), expected):
            return Response(
                "a metrics token is required\n",
                status_code=HTTP_401_UNAUTHORIZED,
                media_type="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        metrics: LanaMetrics = request.app.state[METRICS_STATE_KEY]
        return Response(await metrics.registry.render(), media_type=CONTENT_TYPE)
