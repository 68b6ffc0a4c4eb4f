"""The workers' own HTTP endpoint: ``GET /metrics`` in the Prometheus text format and
``GET /health/live`` (200 while the worker's loop runs, 503 once it stalls).

A worker has no web framework, so this is a few lines of asyncio: one request per
connection, answered and closed.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from attrs import field, frozen
from attrs.validators import ge, gt, le

from lana_adapters.settings import Settings
from lana_adapters.telemetry.metrics import CONTENT_TYPE, Registry

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
LIVENESS_PATH = "/health/live"
_READ_TIMEOUT_SECONDS = 5.0
_MAX_HEADER_LINES = 100
_LINE_LIMIT = 8_192
_JSON = "application/json"
_TEXT = "text/plain; charset=utf-8"
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}


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
        if settings.worker_metrics_port is None:
            return None
        return cls(
            host=settings.worker_metrics_host,
            port=settings.worker_metrics_port,
            stale_after_seconds=settings.worker_stale_seconds,
            token=settings.metrics_token,
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


@frozen
class Answer:
    """One HTTP response of the endpoint."""

    status: int
    body: bytes
    content_type: str = _TEXT
    headers: tuple[tuple[str, str], ...] = ()

    def encode(self) -> bytes:
        head = [
            f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'Error')}",
            f"Content-Type: {self.content_type}",
            f"Content-Length: {len(self.body)}",
            "Connection: close",
            *(f"{name}: {value}" for name, value in self.headers),
        ]
        return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + self.body


def bearer_matches(header: str, expected: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <expected>`` (compared in constant time)."""
    scheme, _, token = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode())


class WorkerEndpoint:
    """Answers ``GET /metrics`` from ``registry`` and ``GET /health/live`` from ``heartbeat``."""

    __slots__ = ("_heartbeat", "_options", "_registry")

    def __init__(self, registry: Registry, heartbeat: Heartbeat, options: EndpointOptions) -> None:
        self._registry = registry
        self._heartbeat = heartbeat
        self._options = options

    async def answer(self, method: str, target: str, headers: dict[str, str]) -> Answer:
        """The answer to one request; unknown paths are 404, other methods than GET 405."""
        path = target.split("?", 1)[0]
        if path not in (METRICS_PATH, LIVENESS_PATH):
            return Answer(404, b"not found\n")
        if method != "GET":
            return Answer(405, b"only GET\n", headers=(("Allow", "GET"),))
        if path == LIVENESS_PATH:
            return self._liveness()
        token = self._options.token
        if token and not bearer_matches(headers.get("authorization", ""), token):
            return Answer(401, b"a metrics token is required\n", headers=(("WWW-Authenticate", "Bearer"),))
        return Answer(200, (await self._registry.render()).encode(), CONTENT_TYPE)

    def _liveness(self) -> Answer:
        age = round(self._heartbeat.age(), 3)
        alive = age <= self._options.stale_after_seconds
        body = {"status": "ok" if alive else "stale", "seconds_since_last_loop": age}
        return Answer(200 if alive else 503, json.dumps(body).encode(), _JSON)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection: read the request head, answer, close."""
        try:
            try:
                async with asyncio.timeout(_READ_TIMEOUT_SECONDS):
                    method, target, headers = await _read_head(reader)
            except (ValueError, asyncio.LimitOverrunError, asyncio.IncompleteReadError):
                answer = Answer(400, b"bad request\n")
            else:
                answer = await self.answer(method, target, headers)
            writer.write(answer.encode())
            await writer.drain()
        except (TimeoutError, ConnectionError) as error:
            log.debug("worker endpoint connection dropped: %r", error)
        finally:
            writer.close()


async def _read_head(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]]:
    """Method, target and headers (names lower-cased); ValueError for anything malformed."""
    method, target, _version = (await reader.readline()).decode("latin-1").split()
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADER_LINES):
        line = (await reader.readline()).decode("latin-1").strip()
        if not line:
            return method, target, headers
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    raise ValueError("too many header lines")


@asynccontextmanager
async def serving(
    registry: Registry, heartbeat: Heartbeat, options: EndpointOptions
) -> AsyncIterator[tuple[str, int]]:
    """Serve the endpoint while the block runs; yields the address it listens on.

    Raises OSError when the address cannot be bound (the port is taken).
    """
    endpoint = WorkerEndpoint(registry, heartbeat, options)
    server = await asyncio.start_server(endpoint.handle, options.host, options.port, limit=_LINE_LIMIT)
    host, port = server.sockets[0].getsockname()[:2]
    log.info("worker endpoint listening on http://%s:%d (/metrics, /health/live)", host, port)
    try:
        yield str(host), int(port)
    finally:
        server.close()
        await server.wait_closed()
