"""A small HTTP/1.1 client on the event loop for webhook calls: kept-alive connections per
origin; answers parsed by llhttp (through httptools).

A webhook call on a worker thread cost the consumer as much CPU again as the rest of
its work on a message (the hop there and back, and the GIL handed between sixteen
threads); on the event loop a call is a write and a read. The request is a few lines
this module writes; reading answers (chunked bodies, keep-alive rules, malformed
input) is left to the parser.
"""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

import httptools
from attrs import frozen

_READ_SIZE = 64 * 1024
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_UNSAFE_VALUE = re.compile(r"[\r\n\0]")


class ServerClosed(ConnectionError):
    """The server closed the connection before its answer was complete."""


class BadResponse(Exception):
    """The server's answer is not HTTP/1.x this client can read."""


# Errors of a kept-alive connection the server had closed before our request reached it.
_STALE = (ConnectionResetError, BrokenPipeError, ServerClosed)


class ResponseTooLarge(Exception):
    """The answer's body was longer than the client reads; its status still counts."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status} with a body over the limit")
        self.status = status


@frozen
class Target:
    """Where a URL's request goes: the origin to connect to and the request line's target."""

    secure: bool
    host: str
    port: int
    authority: str  # the Host header
    path: str  # path and query

    @property
    def origin(self) -> tuple[bool, str, int]:
        return self.secure, self.host, self.port


@functools.lru_cache(maxsize=1024)
def target_of(url: str) -> Target:
    """The target of an http(s) URL; raises ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    secure = parts.scheme == "https"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(secure, parts.hostname, parts.port or (443 if secure else 80), parts.netloc, path)


def request_bytes(target: Target, body: bytes, headers: Mapping[str, str]) -> bytes:
    """A POST of ``body``; raises ValueError for a header that could split the request."""
    lines = [f"POST {target.path} HTTP/1.1", f"Host: {target.authority}", f"Content-Length: {len(body)}"]
    for name, value in headers.items():
        if not _HEADER_NAME.fullmatch(name) or _UNSAFE_VALUE.search(value):
            raise ValueError(f"header {name!r} is not a valid HTTP header")
        lines.append(f"{name}: {value}")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("ascii") + body


class _Answer:
    """The parser's callbacks for the answers on one connection, one at a time."""

    __slots__ = ("complete", "keep_alive", "parser", "size", "status")

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.start()

    def start(self) -> None:
        self.complete, self.keep_alive, self.size, self.status = False, False, 0, 0

    def feed(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            raise BadResponse(str(error) or type(error).__name__) from None

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.size += len(body)

    def on_message_complete(self) -> None:
        # An interim answer (100 Continue) is followed by the real one.
        self.complete = self.status >= 200


class _Connection:
    """One connection; reusable once an exchange ended with a complete kept-alive answer."""

    __slots__ = ("_answer", "_reader", "_writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._answer = _Answer()

    async def exchange(self, request: bytes, max_response: int) -> int:
        answer = self._answer
        answer.start()
        self._writer.write(request)
        await self._writer.drain()
        while not answer.complete:
            data = await self._reader.read(_READ_SIZE)
            if not data:
                raise ServerClosed("the server closed the connection")
            answer.feed(data)
            if answer.size > max_response:
                raise ResponseTooLarge(answer.status)
        return answer.status

    def reusable(self) -> bool:
        return self._answer.keep_alive

    def close(self) -> None:
        self._writer.close()


class HttpClient:
    """POSTs with a whole-request ``timeout_seconds``; keeps up to ``keep_alive`` idle
    connections per origin, and retries once on a new connection when a kept-alive one
    turns out to have been closed by the server."""

    __slots__ = ("_idle", "_keep_alive", "_max_response", "_timeout", "_tls")

    def __init__(
        self,
        timeout_seconds: float,
        *,
        keep_alive: int,
        max_response: int = 64 * 1024,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self._timeout = timeout_seconds
        self._keep_alive = keep_alive
        self._max_response = max_response
        self._idle: dict[tuple[bool, str, int], list[_Connection]] = {}
        self._tls = tls  # the system's trust store unless given; made on first use

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """The response status; raises OSError (TimeoutError included) or BadResponse."""
        target = target_of(url)
        request = request_bytes(target, body, headers)
        async with asyncio.timeout(self._timeout):
            idle = self._idle.get(target.origin)
            if idle:
                try:
                    return await self._exchange(idle.pop(), target, request)
                except _STALE:
                    pass  # its server had closed it: once more on a new connection
            return await self._exchange(await self._connect(target), target, request)

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()

    async def _exchange(self, connection: _Connection, target: Target, request: bytes) -> int:
        try:
            status = await connection.exchange(request, self._max_response)
        except ResponseTooLarge as too_large:
            connection.close()
            return too_large.status
        except BaseException:  # a failed or cancelled exchange leaves the connection unusable
            connection.close()
            raise
        self._release(target, connection)
        return status

    async def _connect(self, target: Target) -> _Connection:
        tls = self._tls_context() if target.secure else None
        reader, writer = await asyncio.open_connection(
            target.host, target.port, ssl=tls, server_hostname=target.host if tls else None
        )
        return _Connection(reader, writer)

    def _release(self, target: Target, connection: _Connection) -> None:
        idle = self._idle.setdefault(target.origin, [])
        if len(idle) < self._keep_alive and connection.reusable():
            idle.append(connection)
        else:
            connection.close()

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls
