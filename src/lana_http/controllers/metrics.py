"""``GET /metrics``: the process's metrics in the Prometheus text format, behind a bearer token.

The app routes it only when ``LANA_METRICS_TOKEN`` is set: route names, error rates and the
outbox backlog are not for whoever reaches the API port.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.status_codes import HTTP_401_UNAUTHORIZED

from lana_adapters.telemetry import MEDIA_TYPE, LanaMetrics
from lana_adapters.telemetry.exposition import bearer_matches
from lana_http.observability import METRICS_STATE_KEY
from lana_http.runtime import runtime_of


class MetricsController(Controller):
    """Scraped by Prometheus with ``Authorization: Bearer <LANA_METRICS_TOKEN>``."""

    path = "/metrics"
    include_in_schema = False

    @get("/", opt={"exclude_from_auth": True}, include_in_schema=False)
    async def scrape(self, request: Request[Any, Any, Any]) -> Response[str]:
        """Every metric, rendered now; 401 without the configured token (or with none configured)."""
        expected = runtime_of(request).services.settings.telemetry.metrics_token
        if not expected or not bearer_matches(request.headers.get("authorization", ""), expected):
            return Response(
                "a metrics token is required\n",
                status_code=HTTP_401_UNAUTHORIZED,
                media_type="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        metrics: LanaMetrics = request.app.state[METRICS_STATE_KEY]
        # Litestar appends "; charset=utf-8" to a text/ media type itself.
        return Response(await metrics.registry.render(), media_type=MEDIA_TYPE)
