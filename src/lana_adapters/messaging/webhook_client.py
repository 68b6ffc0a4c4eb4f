"""Webhook calls over httpx: one client per consumer, each call bounded in time and in what it reads.

An answer is read as HTTP/1.1 frames it (Content-Length, chunked, or until the server closes
the connection), by a maintained client rather than one of our own.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpcore
import httpx
from attrs import frozen

from lana_adapters.messaging.address_guard import ForbiddenAddress, GuardedBackend, Permit, is_public

MAX_ANSWER_BYTES = 64 * 1024
# n8n (Node.js) closes a connection idle for 5 s: expiring ours sooner keeps a call from
# going out on a connection the server is closing at that very moment.
KEEPALIVE_EXPIRY_SECONDS = 4.0
# What a call can fail with: httpx's errors, the whole-call deadline, a URL or header it refuses.
_FAILURES = (httpx.HTTPError, httpx.InvalidURL, TimeoutError, OSError, UnicodeError)


class CallFailed(Exception):
    """A call that ended without an answer; ``kind`` names why (``ConnectError``, ``TimeoutError``,
    ``ForbiddenAddress``, …)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


@frozen
class Answer:
    """A receiver's answer: its status and the first bytes of its body (for a delivery log)."""

    status: int
    excerpt: bytes


class WebhookClient:
    """POSTs through one :class:`httpx.AsyncClient`, made on the first call and closed by :meth:`aclose`.

    ``timeout_seconds`` bounds each call from connecting to the last byte read; up to
    ``connections`` connections are open and kept alive at once; a redirect is an answer,
    not followed; cookies are neither kept nor sent; HTTPS verifies the receiver against
    the system's trust store (or ``SSL_CERT_FILE``); at most ``max_answer`` bytes of an
    answer's body are read, after which its connection is closed. Unless ``allow_private``,
    calls connect only to addresses ``permit`` accepts, public ones unless told (see
    :mod:`~lana_adapters.messaging.address_guard`); a call refused fails with the kind
    ``ForbiddenAddress``.
    """

    __slots__ = ("_allow_private", "_client", "_connections", "_max_answer", "_permit", "_timeout")

    def __init__(
        self,
        timeout_seconds: float,
        *,
        connections: int,
        allow_private: bool = False,
        permit: Permit = is_public,
        max_answer: int = MAX_ANSWER_BYTES,
    ) -> None:
        self._timeout = timeout_seconds
        self._connections = connections
        self._allow_private = allow_private
        self._permit = permit
        self._max_answer = max_answer
        self._client: httpx.AsyncClient | None = None

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """The answer's status; raises CallFailed when there is none (refused, timed out, not HTTP)."""
        return (await self.call(url, body, headers)).status

    async def call(self, url: str, body: bytes, headers: Mapping[str, str], *, excerpt: int = 0) -> Answer:
        """The answer with up to ``excerpt`` bytes of its body; raises CallFailed as :meth:`post`."""
        try:
            # httpx bounds each phase; this bounds their sum, e.g. an answer trickling in.
            async with asyncio.timeout(self._timeout):
                return await self._exchange(url, body, headers, excerpt)
        except (*_FAILURES, ForbiddenAddress) as error:
            raise CallFailed(type(error).__name__, str(error)) from error

    async def aclose(self) -> None:
        """Close every connection; a later call opens new ones."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _exchange(self, url: str, body: bytes, headers: Mapping[str, str], excerpt: int) -> Answer:
        async with self._opened().stream("POST", url, content=body, headers=headers) as answer:
            read, kept = 0, bytearray()
            async for chunk in answer.aiter_raw():
                read += len(chunk)
                if len(kept) < excerpt:
                    kept += chunk[: excerpt - len(kept)]
                if read >= self._max_answer:
                    break  # the rest stays unread: leaving the block closes the connection
            return Answer(answer.status_code, bytes(kept))

    def _opened(self) -> httpx.AsyncClient:
        if self._client is None:
            limits = httpx.Limits(
                max_connections=self._connections,
                max_keepalive_connections=self._connections,
                keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
            )
            tls = ssl.create_default_context()
            self._client = httpx.AsyncClient(
                transport=_transport(limits, tls, None if self._allow_private else self._permit),
                timeout=httpx.Timeout(self._timeout),
                follow_redirects=False,
                # No proxy or .netrc credentials from the environment: calls go where the route says.
                trust_env=False,
                # Each call stands alone: a cookie one answer sets is not sent with the next call.
                cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),
            )
        return self._client


def _transport(limits: httpx.Limits, tls: ssl.SSLContext, permit: Permit | None) -> httpx.AsyncHTTPTransport:
    """httpx's transport; given a ``permit``, its connections are opened by the SSRF guard.

    httpx has no parameter for httpcore's network backend, so its connection pool is made
    again with the same settings and the guard as backend.
    """
    transport = httpx.AsyncHTTPTransport(verify=tls, limits=limits, trust_env=False)
    if permit is not None:
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=tls,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(permit),
        )
    return transport
