"""Liveness and readiness: is the process up, and can it reach every adapter it was configured with."""

from __future__ import annotations

import asyncio

from litestar import Controller, get
from litestar.di import NamedDependency

from lana_adapters.container import ReadinessProbe
from lana_core.errors import FieldError
from lana_http.problems import HttpProblem, documented
from lana_http.runtime import Runtime
from lana_http.schemas.base import Out

PROBE_TIMEOUT_SECONDS = 2.0


class HealthOut(Out):
    status: str
    checks: dict[str, str]


class HealthController(Controller):
    """Probes for orchestrators; no token needed."""

    path = "/health"
    tags = ("health",)

    @get(
        "/live",
        operation_id="live",
        security=[{}],
        opt={"exclude_from_auth": True},
        responses=documented(400),
    )
    async def live(self) -> HealthOut:
        """The process answers."""
        return HealthOut(status="ok", checks={})

    @get(
        "/ready",
        operation_id="ready",
        security=[{}],
        opt={"exclude_from_auth": True},
        responses=documented(400, 503),
    )
    async def ready(self, *, runtime: NamedDependency[Runtime]) -> HealthOut:
        """Every required adapter answers (503 naming the ones that do not); ``degraded``
        when an optional one (Redis) does not: requests are served without it."""
        probes = runtime.services.probes
        results = await asyncio.gather(*(_check(probe) for probe in probes))
        down = [
            FieldError(probe.name, "unavailable", reason)
            for probe, (_, reason) in zip(probes, results, strict=True)
            if reason and probe.required
        ]
        if down:
            names = ", ".join(error.field for error in down)
            raise HttpProblem(503, "unavailable", f"not ready: {names} unavailable", errors=down)
        checks = {name: reason or "ok" for name, reason in results}
        status = "ready" if all(reason is None for _, reason in results) else "degraded"
        return HealthOut(status=status, checks=checks)


async def _check(probe: ReadinessProbe) -> tuple[str, str | None]:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            await probe.check()
    except TimeoutError:
        return probe.name, f"no answer within {PROBE_TIMEOUT_SECONDS:g} s"
    except Exception as error:
        return probe.name, type(error).__name__
    return probe.name, None
