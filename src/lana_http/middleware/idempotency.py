"""``Idempotency-Key`` on create routes: a retry gets the first answer; nothing is created twice.

A route taking a file (an import job) has its body spooled to a temporary file and hashed
as it streams in, bounded by the route's own limit rather than the request body's. The
answer is kept as soon as it is sent, before any background task of the route runs.

Keys are scoped to the tenant and user that sent them. The request's method, path, query
and body make its fingerprint: the same key with another fingerprint is refused (422), a
duplicate arriving while the first is still running is refused (409). Only successful
answers are kept; after a failure the key is free again, since nothing was created.

The fingerprint holds the request in a canonical form, so a retry that means the same is
the same: query parameters in any order, a JSON body with its keys in any order or other
spacing.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import IO
from urllib.parse import parse_qsl, urlencode

import msgspec
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPRequestEvent, Message, Receive, ReceiveMessage, Scope, Send

from lana_adapters.security import ClaimState, StoredResponse
from lana_core.domain.tenancy import Actor
from lana_http.concurrency import IDEMPOTENCY_KEY, MAX_IDEMPOTENCY_KEY_LENGTH
from lana_http.problems import HttpProblem
from lana_http.runtime import STATE_KEY, Runtime

HEADER = b"idempotency-key"
_KEY = re.compile(IDEMPOTENCY_KEY)
_REPLAYED_HEADERS = frozenset({"content-type", "etag", "location"})
# A spooled body stays in memory up to this size, then goes to a temporary file.
_SPOOL_IN_MEMORY = 1_048_576
_REPLAY_CHUNK = 65_536


class IdempotencyMiddleware:
    """Applies to POST routes whose handler has ``opt={"idempotent": True}`` and requests that
    send the header; a route taking a file also names its bound (see :func:`_spooled_limit`).
    Raises HttpProblem: 400 (bad key), 409 (in flight), 413 (body too large), 422 (key
    reused for another request)."""

    __slots__ = ("_app",)

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _key(scope)
        actor = scope.get("user")
        if key is None or not isinstance(actor, Actor) or not _applies(scope):
            await self._app(scope, receive, send)
            return
        runtime: Runtime = scope["app"].state[STATE_KEY]
        scoped = f"idem:{actor.tenant_id}:{actor.user_id}:{key}"
        spooled_limit = _spooled_limit(scope, runtime)
        if spooled_limit is not None:
            with await _spool_body(receive, spooled_limit) as (spool, digest):
                fingerprint = _fingerprint(scope, digest)
                replayed = _replay_spool(spool, receive)
                await self._run(scope, replayed, send, runtime=runtime, key=scoped, fingerprint=fingerprint)
            return
        body = await _read_body(receive, runtime.http.max_body_bytes)
        fingerprint = _fingerprint(scope, canonical_json(body))
        await self._run(
            scope, _replay(body, receive), send, runtime=runtime, key=scoped, fingerprint=fingerprint
        )

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, *, runtime: Runtime, key: str, fingerprint: str
    ) -> None:
        store, ttl = runtime.services.idempotency, runtime.http.idempotency_ttl_seconds
        claim = await store.claim(key, fingerprint, ttl)
        if claim.state is ClaimState.MISMATCH:
            raise HttpProblem(
                422, "idempotency_key_reused", "this Idempotency-Key was used for another request"
            )
        if claim.state is ClaimState.IN_FLIGHT:
            raise HttpProblem(
                409, "idempotency_in_flight", "a request with this Idempotency-Key is in progress"
            )
        if claim.state is ClaimState.DONE and claim.response is not None:
            await _send_stored(send, claim.response)
            return

        async def answered(response: StoredResponse) -> None:
            # Kept once sent, before any background task of the route (an import job) runs.
            if 200 <= response.status < 300:
                await store.complete(key, response, ttl)

        recorder = _Recorder(send, answered)
        try:
            await self._app(scope, receive, recorder.send)
        except BaseException:
            if not recorder.kept:
                await store.release(key)
            raise
        if not recorder.kept:
            await store.release(key)


class _Recorder:
    """Passes a response through while keeping a copy of it."""

    __slots__ = ("_answered", "_chunks", "_headers", "_send", "_status", "kept")

    def __init__(self, send: Send, answered: Callable[[StoredResponse], Awaitable[None]]) -> None:
        self._send = send
        self._answered = answered
        self._status = 0
        self._headers: tuple[tuple[str, str], ...] = ()
        self._chunks: list[bytes] = []
        self.kept = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._status = int(message["status"])
            self._headers = tuple(
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in message.get("headers", ())
                if name.decode("latin-1").lower() in _REPLAYED_HEADERS
            )
        elif message["type"] == "http.response.body":
            self._chunks.append(bytes(message.get("body", b"")))
        await self._send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            response = StoredResponse(status=self._status, headers=self._headers, body=b"".join(self._chunks))
            await self._answered(response)
            self.kept = 200 <= response.status < 300


async def _send_stored(send: Send, response: StoredResponse) -> None:
    start: Message = {"type": "http.response.start", "status": response.status, "headers": []}
    headers = MutableScopeHeaders.from_message(start)
    for name, value in response.headers:
        headers.add(name, value)
    headers.add("Idempotent-Replayed", "true")
    await send(start)
    await send({"type": "http.response.body", "body": response.body, "more_body": False})


def _key(scope: Scope) -> str | None:
    if scope["type"] != ScopeType.HTTP or scope.get("method") != "POST":
        return None
    for name, value in scope.get("headers", ()):
        if name == HEADER:
            key = value.decode("latin-1").strip()
            if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not _KEY.match(key):
                raise HttpProblem(
                    400,
                    "bad_request",
                    f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters",
                )
            return key
    return None


def _applies(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return bool(handler is not None and handler.opt.get("idempotent"))


async def _read_body(receive: Receive, limit: int) -> bytes:
    return b"".join([chunk async for chunk in _body_chunks(receive, limit, "body")])


async def _body_chunks(receive: Receive, limit: int, what: str) -> AsyncIterator[bytes]:
    """The request body's chunks as they arrive; raises 413 past ``limit`` bytes."""
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > limit:
            raise HttpProblem(413, "payload_too_large", f"the {what} exceeds {limit} bytes")
        yield chunk
        if not message.get("more_body", False):
            return


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> ReceiveMessage:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        request: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
        return request

    return replayed


def _fingerprint(scope: Scope, body: bytes) -> str:
    """The request's method, path, query in any order, and ``body`` (in canonical form)."""
    digest = hashlib.sha256()
    query = sorted(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    for part in (scope.get("method", ""), scope.get("path", ""), urlencode(query)):
        digest.update(str(part).encode())
        digest.update(b"\0")
    digest.update(body)
    return digest.hexdigest()


def _spooled_limit(scope: Scope, runtime: Runtime) -> int | None:
    """The body bound of a route taking files (``opt={"idempotent_spooled": SETTING}``, an
    HttpSettings field): its body is spooled to a temporary file, not held in memory."""
    handler = scope.get("route_handler")
    setting = handler.opt.get("idempotent_spooled") if handler is not None else None
    return None if setting is None else int(getattr(runtime.http, setting))


@contextmanager
def _closing(spool: IO[bytes], digest: bytes) -> Iterator[tuple[IO[bytes], bytes]]:
    with spool:
        yield spool, digest


async def _spool_body(receive: Receive, limit: int) -> AbstractContextManager[tuple[IO[bytes], bytes]]:
    """The body in a temporary file (in memory while small) and its SHA-256; raises 413
    past ``limit`` bytes, as the route itself would."""
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - closed by the caller
    digest = hashlib.sha256()
    try:
        async for chunk in _body_chunks(receive, limit, "file"):
            spool.write(chunk)
            digest.update(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return _closing(spool, digest.digest())


def _replay_spool(spool: IO[bytes], receive: Receive) -> Receive:
    """The spooled body again, chunk by chunk, then what ``receive`` hears next."""
    done = False

    async def replayed() -> ReceiveMessage:
        nonlocal done
        if done:
            return await receive()
        chunk = spool.read(_REPLAY_CHUNK)
        done = len(chunk) < _REPLAY_CHUNK
        request: HTTPRequestEvent = {"type": "http.request", "body": chunk, "more_body": not done}
        return request

    return replayed


def canonical_json(body: bytes) -> bytes:
    """``body`` re-encoded with sorted keys and no spacing; a body that is not JSON as sent
    (the route refuses it anyway, and a failure frees the key)."""
    try:
        return msgspec.json.encode(msgspec.json.decode(body), order="sorted")
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return body
