"""The workers' own HTTP endpoint: ``GET /metrics`` in the Prometheus text format and
``GET /health/live`` (200 while the worker's loop runs, 503 once it stalls).

A worker has no web framework: a small ASGI app answers the two paths, and uvicorn
speaks HTTP for it on the worker's own event loop.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from attrs import field, frozen
from attrs.validators import ge, gt, le

from lana_adapters.settings import Settings
from lana_adapters.telemetry.metrics import CONTENT_TYPE, Registry

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
LIVENESS_PATH = "/health/live"
_JSON = "application/json"
_TEXT = "text/plain; charset=utf-8"
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Answer = tuple[int, bytes, Mapping[str, str]]


@frozen(kw_only=True)
class EndpointOptions:
    """Where the endpoint listens (port 0: any free one), how long a silent loop may last
    before the worker counts as hung, and the bearer token ``/metrics`` asks for (None: open)."""

    host: str = "127.0.0.1"
    port: int = field(default=0, validator=[ge(0), le(65_535)])
    stale_after_seconds: float = field(default=60.0, validator=gt(0))
    token: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, settings: Settings) -> EndpointOptions | None:
        """The endpoint ``LANA_WORKER_METRICS_*`` asks for; None while the port is unset.

        Raises ValueError for a port outside 0-65535 or a non-positive stale time.
        """
        worker = settings.worker
        if worker.metrics_port is None:
            return None
        return cls(
            host=worker.metrics_host,
            port=worker.metrics_port,
            stale_after_seconds=worker.stale_seconds,
            token=settings.telemetry.metrics_token,
        )


class Heartbeat:
    """When a worker's loop last ran; ``then`` runs on every beat (the heartbeat file).

    Being created counts as a beat: a relay waiting out its first lease is alive.
    """

    __slots__ = ("_clock", "_last", "_then")

    def __init__(
        self, then: Callable[[], None] | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._then = then
        self._clock = clock
        self._last = clock()

    def beat(self) -> None:
        self._last = self._clock()
        if self._then is not None:
            self._then()

    def age(self) -> float:
        """Seconds since the last beat."""
        return max(0.0, self._clock() - self._last)


def bearer_matches(header: str, expected: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <expected>`` (compared in constant time)."""
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode())


class WorkerEndpoint:
    """An ASGI app answering ``GET /metrics`` from ``registry`` and ``GET /health/live`` from
    ``heartbeat``; other paths are 404, other methods 405."""

    __slots__ = ("_heartbeat", "_options", "_registry")

    def __init__(self, registry: Registry, heartbeat: Heartbeat, options: EndpointOptions) -> None:
        self._registry = registry
        self._heartbeat = heartbeat
        self._options = options

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
        }
        status, body, extra = await self.answer(scope["method"], scope["path"], headers)
        await send({"type": "http.response.start", "status": status, "headers": _encoded(body, extra)})
        await send({"type": "http.response.body", "body": body})

    async def answer(self, method: str, path: str, headers: Mapping[str, str]) -> Answer:
        """Status, body and headers of the answer to one request."""
        if path not in (METRICS_PATH, LIVENESS_PATH):
            return 404, b"not found\n", {"content-type": _TEXT}
        if method != "GET":
            return 405, b"only GET\n", {"content-type": _TEXT, "allow": "GET"}
        if path == LIVENESS_PATH:
            return self._liveness()
        token = self._options.token
        if token and not bearer_matches(headers.get("authorization", ""), token):
            return (
                401,
                b"a metrics token is required\n",
                {"content-type": _TEXT, "www-authenticate": "Bearer"},
            )
        return 200, (await self._registry.render()).encode(), {"content-type": CONTENT_TYPE}

    def _liveness(self) -> Answer:
        age = round(self._heartbeat.age(), 3)
        alive = age <= self._options.stale_after_seconds
        body = {"status": "ok" if alive else "stale", "seconds_since_last_loop": age}
        return 200 if alive else 503, json.dumps(body).encode(), {"content-type": _JSON}


def _encoded(body: bytes, headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    pairs = [*headers.items(), ("content-length", str(len(body)))]
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]


@asynccontextmanager
async def serving(
    registry: Registry, heartbeat: Heartbeat, options: EndpointOptions
) -> AsyncIterator[tuple[str, int]]:
    """Serve the endpoint while the block runs; yields the address it listens on.

    Raises OSError when the address cannot be bound (the port is taken).
    """
    listener = socket.create_server((options.host, options.port), family=_family(options.host))
    config = uvicorn.Config(
        WorkerEndpoint(registry, heartbeat, options),
        interface="asgi3",
        lifespan="off",
        ws="none",
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_config=None,
        log_level="warning",
    )
    # uvicorn holds SIGTERM and SIGINT while it serves and raises them again once it stops:
    # the worker's own handlers still set its stop event.
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    host, port = listener.getsockname()[:2]
    log.info("worker endpoint listening on http://%s:%d (/metrics, /health/live)", host, port)
    try:
        yield str(host), int(port)
    finally:
        server.should_exit = True
        await task
        listener.close()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
