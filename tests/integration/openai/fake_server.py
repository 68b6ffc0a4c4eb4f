"""A local HTTP server speaking enough of OpenAI's chat-completions protocol to test against.

It runs its own event loop in a thread, so a slow reply never blocks the caller's loop,
and it records every request and how many body bytes each reply got out before the client
hung up. Replies are scripted: queued ones are used first, in order, then the default one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import deque
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from attrs import field, frozen

DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"
VALID_ANSWER: Mapping[str, Any] = {
    "health_score": 72,
    "churn_risk": "medium",
    "summary": "A high-value customer with steady delivery. One project is overdue.",
    "recommendations": ["Agree a new date for the overdue project.", "Book a quarterly review."],
    "signals": [
        {"name": "overdue_project", "detail": "One project is past its due date.", "weight": -10},
        {"name": "completion_rate", "detail": "Most tasks are done.", "weight": 8},
    ],
}
_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 429: "Too Many Requests", 500: "Error"}
_PIECE = 64 * 1024


@frozen(kw_only=True)
class Reply:
    """One scripted HTTP response; ``trickle_seconds`` pauses between 16-byte pieces of the body.

    ``chunked`` sends the body in 64 KiB chunks without a Content-Length, waiting for the
    client to take each one (so a client that stops reading stops the server too).
    """

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay_seconds: float = 0.0
    trickle_seconds: float = 0.0
    headers: Mapping[str, str] = field(factory=dict)
    chunked: bool = False

    @classmethod
    def completion(
        cls,
        answer: Mapping[str, Any] | str | None = VALID_ANSWER,
        *,
        model: str | None = DEFAULT_MODEL,
        refusal: str | None = None,
        finish_reason: str = "stop",
        usage: Mapping[str, Any] | None = None,
        delay_seconds: float = 0.0,
        trickle_seconds: float = 0.0,
    ) -> Reply:
        content = answer if answer is None or isinstance(answer, str) else json.dumps(answer)
        message = {"role": "assistant", "content": content, "refusal": refusal}
        body: dict[str, Any] = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": 321, "completion_tokens": 87, "total_tokens": 408}
            if usage is None
            else dict(usage),
        }
        if model is not None:
            body["model"] = model
        return cls(
            body=json.dumps(body).encode(), delay_seconds=delay_seconds, trickle_seconds=trickle_seconds
        )

    @classmethod
    def error(
        cls,
        status: int,
        message: str = "failed",
        kind: str = "server_error",
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        payload = {"error": {"message": message, "type": kind, "param": None, "code": None}}
        return cls(status=status, body=json.dumps(payload).encode(), headers=dict(headers or {}))

    @classmethod
    def huge(cls, size: int, *, chunked: bool) -> Reply:
        """A completion padded to ``size`` bytes (a valid answer, were it read whole)."""
        completion = json.loads(cls.completion().body)
        completion["padding"] = ""
        padding = size - len(json.dumps(completion))
        completion["padding"] = "x" * max(0, padding)
        return cls(body=json.dumps(completion).encode(), chunked=chunked)


@frozen(kw_only=True)
class ReceivedRequest:
    """A request as the server saw it; ``connection`` numbers the TCP connection it came on."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    connection: int

    def json(self) -> Any:
        return json.loads(self.body)


class FakeChatServer:
    """Serves ``POST {base_url}/chat/completions`` on 127.0.0.1 with a free port."""

    def __init__(self, default: Reply | None = None) -> None:
        self.default = default or Reply.completion()
        self._queue: deque[Reply] = deque()
        self._requests: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-chat-server", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._connections = 0
        self._sent: list[int] = []
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def sent(self) -> list[int]:
        """Body bytes each reply got out, in order (fewer than its body when the client left)."""
        with self._lock:
            return list(self._sent)

    def enqueue(self, *replies: Reply) -> None:
        self._queue.extend(replies)

    def start(self) -> FakeChatServer:
        self._thread.start()
        if not self._ready.wait(timeout=5):
            raise RuntimeError("the fake chat server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeChatServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        handlers: set[asyncio.Task[None]] = set()

        async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            handlers.add(task)
            try:
                await self._handle(reader, writer)
            finally:
                handlers.discard(task)

        server = await asyncio.start_server(on_connection, "127.0.0.1", 0, backlog=512)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stopping.wait()
        server.close()
        # Delayed replies would otherwise hold the thread until their sleep ends.
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections += 1
        connection = self._connections
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            while (request := await _read_request(reader, connection)) is not None:
                with self._lock:
                    self._requests.append(request)
                reply = self._queue.popleft() if self._queue else self.default
                sent = [0]
                try:
                    await _write_reply(writer, reply, sent)
                finally:
                    with self._lock:
                        self._sent.append(sent[0])
        writer.close()


async def _read_request(reader: asyncio.StreamReader, connection: int) -> ReceivedRequest | None:
    request_line = await reader.readline()
    if not request_line.strip():
        return None
    method, path, _ = request_line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return ReceivedRequest(method=method, path=path, headers=headers, body=body, connection=connection)


async def _write_reply(writer: asyncio.StreamWriter, reply: Reply, sent: list[int]) -> None:
    await asyncio.sleep(reply.delay_seconds)
    length = "transfer-encoding: chunked" if reply.chunked else f"content-length: {len(reply.body)}"
    extra = "".join(f"{name}: {value}\r\n" for name, value in reply.headers.items())
    head = (
        f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Status')}\r\n"
        f"content-type: {reply.content_type}\r\n"
        f"{length}\r\n{extra}"
        "connection: keep-alive\r\n\r\n"
    )
    writer.write(head.encode("latin-1"))
    if not reply.trickle_seconds:
        await _write_pieces(writer, memoryview(reply.body), sent, chunked=reply.chunked)
        return
    for start in range(0, len(reply.body), 16):
        writer.write(reply.body[start : start + 16])
        await writer.drain()
        sent[0] += len(reply.body[start : start + 16])
        await asyncio.sleep(reply.trickle_seconds)


async def _write_pieces(
    writer: asyncio.StreamWriter, body: memoryview, sent: list[int], *, chunked: bool
) -> None:
    """Write 64 KiB at a time, each once the client took the last: the server never buffers
    more than a piece of a body the client stopped reading."""
    for start in range(0, len(body), _PIECE):
        piece = body[start : start + _PIECE]
        writer.write(f"{len(piece):x}\r\n".encode() if chunked else b"")
        writer.write(piece)
        writer.write(b"\r\n" if chunked else b"")
        await writer.drain()
        sent[0] += len(piece)
    if chunked:
        writer.write(b"0\r\n\r\n")
        await writer.drain()
