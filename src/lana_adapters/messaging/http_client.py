"""A small HTTP/1.1 client on the event loop for webhook calls: kept-alive connections per
origin, h11 for the protocol.

A webhook call on a worker thread cost the consumer as much CPU again as the rest of
its work on a message (the hop there and back, and the GIL handed between sixteen
threads); on the event loop a call is a write and a read.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Mapping
from urllib.parse import urlsplit

import h11
from attrs import frozen

_READ_SIZE = 64 * 1024
# Errors of a kept-alive connection the server had closed before our request reached it.
_STALE = (ConnectionResetError, BrokenPipeError, h11.RemoteProtocolError)


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


class _Connection:
    """One connection and its protocol state; reusable once an exchange ended cleanly."""

    __slots__ = ("_protocol", "_reader", "_writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._protocol = h11.Connection(h11.CLIENT)

    async def exchange(self, request: h11.Request, body: bytes, max_response: int) -> int:
        protocol = self._protocol
        self._writer.write(
            protocol.send(request) + protocol.send(h11.Data(data=body)) + protocol.send(h11.EndOfMessage())
        )
        await self._writer.drain()
        status, size = 0, 0
        while True:
            event = protocol.next_event()
            if event is h11.NEED_DATA:
                protocol.receive_data(await self._reader.read(_READ_SIZE))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                size += len(event.data)
                if size > max_response:
                    raise ResponseTooLarge(status)
            elif isinstance(event, h11.EndOfMessage):
                return status
            elif isinstance(event, h11.ConnectionClosed):
                raise h11.RemoteProtocolError("the server closed the connection")

    def reuse(self) -> bool:
        """Ready the connection for the next request; False when it must be closed instead."""
        if self._protocol.our_state is not h11.DONE or self._protocol.their_state is not h11.DONE:
            return False
        self._protocol.start_next_cycle()
        return True

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
        """The response status; raises OSError (TimeoutError included) or h11.ProtocolError."""
        target = target_of(url)
        request = h11.Request(
            method="POST",
            target=target.path,
            headers=[("Host", target.authority), ("Content-Length", str(len(body))), *headers.items()],
        )
        async with asyncio.timeout(self._timeout):
            idle = self._idle.get(target.origin)
            if idle:
                try:
                    return await self._exchange(idle.pop(), target, request, body)
                except _STALE:
                    pass  # its server had closed it: once more on a new connection
            return await self._exchange(await self._connect(target), target, request, body)

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()

    async def _exchange(
        self, connection: _Connection, target: Target, request: h11.Request, body: bytes
    ) -> int:
        try:
            status = await connection.exchange(request, body, self._max_response)
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
        if len(idle) < self._keep_alive and connection.reuse():
            idle.append(connection)
        else:
            connection.close()

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls
