"""A real HTTP server on 127.0.0.1 standing in for n8n: it records every request and answers
as each test scripts it (fail a few times, answer slowly, say 410 Gone)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from attrs import frozen


@frozen
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event_id(self) -> str:
        return self.headers.get("idempotency-key", "")

    def document(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


Script = Callable[[Received, int], int]  # (request, how many times this event id was seen) -> status


def always(status: int) -> Script:
    return lambda _request, _seen: status


def fail_first(times: int, status: int = 503) -> Script:
    return lambda _request, seen: status if seen <= times else 200


def slow(seconds: float) -> Script:
    def answer(_request: Received, _seen: int) -> int:
        time.sleep(seconds)
        return 200

    return answer


class Receiver:
    """``with Receiver() as server``: ``server.url('/hook')`` takes POSTs; ``server.received`` lists them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self._seen: Counter[str] = Counter()
        self._scripts: dict[str, Script] = {}
        self._unframed: set[str] = set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str = "/hook") -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def script(self, path: str, answer: Script) -> None:
        self._scripts[path] = answer

    def answer_unframed(self, path: str) -> None:
        """Answers on ``path`` carry no Content-Length: the body ends when the server closes the
        connection, as HTTP/1.1 allows and some servers do."""
        self._unframed.add(path)

    def ids(self, path: str | None = None) -> list[str]:
        with self._lock:
            return [r.event_id for r in self.received if path is None or r.path == path]

    def wait_for(self, count: int, timeout: float = 10.0, path: str | None = None) -> list[str]:
        """The ids received once at least ``count`` requests arrived (or the timeout passed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.ids(path)) < count:
            time.sleep(0.01)
        return self.ids(path)

    def _answer(self, request: Received) -> int:
        with self._lock:
            self.received.append(request)
            self._seen[f"{request.path} {request.event_id}"] += 1
            seen = self._seen[f"{request.path} {request.event_id}"]
        return self._scripts.get(request.path, always(200))(request, seen)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver._answer(Received(self.path, headers, body, time.monotonic()))
                self.send_response(status)
                if self.path in receiver._unframed:
                    self.send_header("connection", "close")
                    self.end_headers()
                    self.wfile.write(b"ok")
                    self.close_connection = True
                    return
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler
