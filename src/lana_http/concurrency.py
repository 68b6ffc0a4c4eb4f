"""Optimistic concurrency over HTTP: versions travel as ETags, changes name theirs in If-Match."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Protocol, TypeVar

from litestar import Response
from litestar.datastructures import ResponseHeader
from litestar.params import HeaderParameter

from lana_core.errors import StaleVersion
from lana_http.problems import CONDITIONAL_WRITE, GUARDED_WRITE, HttpProblem, documented

T = TypeVar("T")
B = TypeVar("B")


class _Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=_Versioned)

# One entity tag as RFC 9110 spells it (its ASCII characters), or '*'; anything else is 400.
ENTITY_TAG = r'^(\*|(W/)?"[!#-~]*")$'
# Visible ASCII at both ends, spaces allowed inside: what is left after a proxy trims it.
IDEMPOTENCY_KEY = r"^[!-~]([ -~]*[!-~])?$"
MAX_IDEMPOTENCY_KEY_LENGTH = 255
# No record is ever at version 0: an entity tag that names no version matches none.
_NO_VERSION = 0

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        max_length=100,
        pattern=ENTITY_TAG,
        description="The ETag of the version the change is based on (`*`: any version).",
    ),
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        max_length=MAX_IDEMPOTENCY_KEY_LENGTH,
        pattern=IDEMPOTENCY_KEY,
        description="Retrying with the same key returns the first response instead of creating again.",
    ),
]

ETAG_HEADER = ResponseHeader(
    name="ETag", description="The record's version, for If-Match.", documentation_only=True
)
LOCATION_HEADER = ResponseHeader(
    name="Location", description="Where the new record is read.", documentation_only=True
)


def documented_change(*, required: bool = True) -> dict[str, Any]:
    """What a route declares for a change made by :func:`changed`: the problems it answers
    (428 among them when If-Match is ``required``) and the ETag its answer carries."""
    return {
        "responses": documented(*(GUARDED_WRITE if required else CONDITIONAL_WRITE)),
        "response_headers": [ETAG_HEADER],
    }


def etag(version: int) -> str:
    return f'"{version}"'


def required_version(if_match: str | None) -> int | None:
    """The version If-Match names (None for ``*``); raises 428 without the header."""
    if if_match is None:
        raise HttpProblem(428, "precondition_required", "send If-Match with the ETag of the version you read")
    return _parse(if_match)


def optional_version(if_match: str | None) -> int | None:
    """Like :func:`required_version`, but a missing If-Match means 'whatever version is stored'."""
    return None if if_match is None else _parse(if_match)


async def guarded(expected: int | None, change: Awaitable[T]) -> T:
    """Run ``change``; a stale version (If-Match older than the stored record) becomes 412."""
    try:
        return await change
    except StaleVersion:
        if expected is None:
            raise
        raise HttpProblem(
            412, "precondition_failed", "the record changed since you read it; read it again"
        ) from None


async def conditional(
    if_match: str | None, change: Callable[[int | None], Awaitable[T]], *, required: bool = True
) -> T:
    """The If-Match sequence every change of a stored record shares: the version If-Match
    names (428 when ``required`` and missing; a missing one otherwise means "whatever version
    is stored"), ``change`` run against it, a stale version answered 412."""
    expected = required_version(if_match) if required else optional_version(if_match)
    return await guarded(expected, change(expected))


async def changed(
    if_match: str | None,
    change: Callable[[int | None], Awaitable[V]],
    render: Callable[[V], B],
    *,
    required: bool = True,
) -> Response[B]:
    """:func:`conditional`, answered with the changed record and its new ETag."""
    record = await conditional(if_match, change, required=required)
    return with_etag(render(record), record.version)


def with_etag(body: T, version: int, *, status: int = 200, location: str | None = None) -> Response[T]:
    headers = {"ETag": etag(version)}
    if location is not None:
        headers["Location"] = location
    return Response(body, status_code=status, headers=headers)


def _parse(raw: str) -> int | None:
    """The version an entity tag names; a tag that is not one of ours names a version no
    record has, so the change answers 404 for a missing record and 412 for a stored one."""
    tag = raw.strip()
    if tag == "*":
        return None
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    if not tag.isascii() or not tag.isdigit() or len(tag) > 18:
        return _NO_VERSION
    return int(tag)
