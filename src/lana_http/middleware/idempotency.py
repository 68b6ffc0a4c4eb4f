"""``Idempotency-Key`` on create routes: a retry gets the first answer; nothing is created twice.

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


class IdempotencyMiddleware:
    """Applies to POST routes whose handler has ``opt={"idempotent": True}`` and requests that
    send the header. Raises HttpProblem: 400 (bad key), 409 (in flight), 413 (body too
    large), 422 (key reused for another request)."""

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
        body = await _read_body(receive, runtime.http.max_body_bytes)
        scoped = f"idem:{actor.tenant_id}:{actor.user_id}:{key}"
        fingerprint = _fingerprint(scope, body)
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
        recorder = _Recorder(send)
        try:
            await self._app(scope, receive, recorder.send)
        except BaseException:
            await store.release(key)
            raise
        if recorder.response is not None and 200 <= recorder.response.status < 300:
            await store.complete(key, recorder.response, ttl)
        else:
            await store.release(key)


class _Recorder:
    """Passes a response through while keeping a copy of it."""

    __slots__ = ("_chunks", "_headers", "_send", "_status", "response")

    def __init__(self, send: Send) -> None:
        self._send = send
        self._status = 0
        self._headers: tuple[tuple[str, str], ...] = ()
        self._chunks: list[bytes] = []
        self.response: StoredResponse | None = None

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
            if not message.get("more_body", False):
                self.response = StoredResponse(
                    status=self._status, headers=self._headers, body=b"".join(self._chunks)
                )
        await self._send(message)


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
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = bytes(message.get("body", b""))
        size += len(chunk)
        if size > limit:
            raise HttpProblem(413, "payload_too_large", f"the body exceeds {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


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
    digest = hashlib.sha256()
    query = sorted(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    for part in (scope.get("method", ""), scope.get("path", ""), urlencode(query)):
        digest.update(str(part).encode())
        digest.update(b"\0")
    digest.update(canonical_json(body))
    return digest.hexdigest()


def canonical_json(body: bytes) -> bytes:
    """``body`` re-encoded with sorted keys and no spacing; a body that is not JSON as sent
    (the route refuses it anyway, and a failure frees the key)."""
    try:
        return msgspec.json.encode(msgspec.json.decode(body), order="sorted")
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return body
