"""RFC 9457 problem details: every error the API returns, with a stable ``type`` per kind."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from lana_core.domain.validation import SINGLE_LINE_PATTERN, SINGLE_LINE_RULE
from lana_core.errors import (
    Conflict,
    FieldError,
    Gone,
    InvalidChoice,
    LanaError,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    ValidationError,
)
from lana_http.choices import choice_at, parameter_types

PROBLEM_BASE = "https://lana.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

_log = logging.getLogger("lana.http")


class FieldProblem(msgspec.Struct, frozen=True):
    """One offending field: where it is, a machine-readable code, a sentence for people."""

    field: str
    code: str
    message: str


class Problem(msgspec.Struct, frozen=True, omit_defaults=True):
    """An RFC 9457 problem document; ``code`` is stable across releases, ``errors`` lists fields."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[FieldProblem] | None = None
    # Only on a 410 about a merged customer: the id of the customer it was merged into.
    merged_into: str | None = None


class HttpProblem(Exception):
    """An error only HTTP knows (preconditions, idempotency, limits), rendered as a problem."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[FieldError] = (),
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = dict(headers or {})
        self.errors = tuple(errors)


_TITLES = {
    "validation_error": "Invalid input",
    "invalid_request": "Malformed request",
    "bad_request": "Bad request",
    "unauthenticated": "Authentication required",
    "permission_denied": "Permission denied",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "conflict": "Conflict",
    "gone": "Gone",
    "precondition_failed": "Precondition failed",
    "precondition_required": "Precondition required",
    "payload_too_large": "Payload too large",
    "unsupported_media_type": "Unsupported media type",
    "idempotency_key_reused": "Idempotency key reused",
    "idempotency_in_flight": "Request already in progress",
    "rate_limited": "Too many requests",
    "invalid_host": "Invalid host",
    "internal_error": "Internal server error",
    "unavailable": "Service unavailable",
}

_DOMAIN: tuple[tuple[type[LanaError], int, str], ...] = (
    (ValidationError, 422, "validation_error"),
    (NotFound, 404, "not_found"),
    (Gone, 410, "gone"),
    (Conflict, 409, "conflict"),
    (PermissionDenied, 403, "permission_denied"),
    (Unauthenticated, 401, "unauthenticated"),
    (LimitExceeded, 429, "rate_limited"),
    (Unavailable, 503, "unavailable"),
)

_READS = frozenset({"GET", "HEAD"})

_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    428: "precondition_required",
    429: "rate_limited",
}


def problem_type(code: str) -> str:
    """The ``type`` URI of a problem code: ``not_found`` → ``https://lana.dev/problems/not-found``."""
    return PROBLEM_BASE + code.replace("_", "-")


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    errors: Sequence[FieldError] = (),
) -> Response[Problem]:
    body = Problem(
        type=problem_type(code),
        title=_TITLES.get(code, "Error"),
        status=status,
        detail=detail,
        code=code,
        instance=request.url.path,
        errors=[FieldProblem(e.field, e.code, e.message) for e in errors] or None,
    )
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {}))


def handle_lana_error(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    assert isinstance(error, LanaError)
    if isinstance(error, ValidationError) and request.method in _READS:
        # A read sends no body: what it gets wrong is a parameter (a cursor this API did
        # not issue, a time without a zone), answered 400 like any parameter off its schema.
        return handle_http_problem(request, invalid_request(error.errors))
    for kind, status, code in _DOMAIN:
        if isinstance(error, kind):
            errors = error.errors if isinstance(error, (ValidationError, Conflict)) else ()
            detail = _detail(error, code)
            response = problem_response(request, status, code, detail, headers=_headers(error), errors=errors)
            if isinstance(error, Gone):
                response.content = msgspec.structs.replace(
                    response.content, merged_into=str(error.merged_into)
                )
            return response
    return problem_response(request, 400, "bad_request", error.message)


def handle_http_problem(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    assert isinstance(error, HttpProblem)
    return problem_response(
        request, error.status, error.code, error.detail, headers=error.headers, errors=error.errors
    )


def handle_validation_exception(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    assert isinstance(error, ValidationException)
    types = parameter_types(request.scope.get("route_handler"))
    errors = [_field_error(item, types) for item in error.extra or [] if isinstance(item, dict)]
    return handle_http_problem(request, invalid_request(errors))


def handle_http_exception(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    assert isinstance(error, HTTPException)
    if error.status_code >= 500:
        return handle_unexpected(request, error)
    code = _BY_STATUS.get(error.status_code, "bad_request")
    headers = {k: v for k, v in (error.headers or {}).items() if k.lower() == "allow"}
    return problem_response(request, error.status_code, code, str(error.detail), headers=headers)


def handle_unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    _log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return problem_response(request, 500, "internal_error", "an unexpected error occurred")


EXCEPTION_HANDLERS = {
    LanaError: handle_lana_error,
    HttpProblem: handle_http_problem,
    ValidationException: handle_validation_exception,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}


def _detail(error: LanaError, code: str) -> str:
    if code == "unavailable":
        # The cause (a driver's message) is for the logs, not for callers.
        _log.warning("dependency unavailable: %s", error.message)
        return "a service Lana depends on is unavailable; retry later"
    return error.message


def _headers(error: LanaError) -> dict[str, str]:
    if isinstance(error, Unauthenticated):
        return {"WWW-Authenticate": 'Bearer realm="lana"'}
    if isinstance(error, LimitExceeded) and error.retry_after is not None:
        return {"Retry-After": str(max(1, round(error.retry_after)))}
    if isinstance(error, Unavailable):
        return {"Retry-After": "5"}
    return {}


_UNKNOWN = re.compile(r"unknown field `([^`]+)`")
# How the schema's check of single-line text reports a control character; said as the core says it.
_CONTROL_CHARACTER = f"matching regex {SINGLE_LINE_PATTERN!r}"
_MISSING = re.compile(r"missing required field `([^`]+)`")
_AT = re.compile(r" - at `\$\.?([^`]*)`")
# How msgspec reports a value that is none of an enum's (a Choice's values, in any case).
_NO_CHOICE = "Invalid enum value"


def _field_error(item: Mapping[str, Any], types: Mapping[str, Any]) -> FieldError:
    key = str(item.get("key") or "body")
    message = str(item.get("message", "is invalid"))
    return schema_error(message, "" if key == "data" else key, types.get(key))


def schema_error(message: str, prefix: str = "", target: Any = None) -> FieldError:
    """The field a msgspec validation message names, under ``prefix``: ``Expected `str`, got
    `int` - at `$.customers[0].name``` is ``customers[0].name`` (``body`` for the whole body).

    ``target`` is the type decoded under ``prefix``: when the value is none of a closed set
    of names there, the error lists them.
    """
    at = _AT.search(message)
    where = _join(prefix, at.group(1)) if at else prefix
    text = _AT.sub("", message)
    choice = choice_at(target, at.group(1) if at else "") if _NO_CHOICE in text else None
    if choice is not None:
        return InvalidChoice.field_error(where or "body", choice.allowed())
    for pattern, code in ((_UNKNOWN, "unknown_field"), (_MISSING, "required")):
        match = pattern.search(text)
        if match:
            return FieldError(_join(where, match.group(1)), code, text)
    if _CONTROL_CHARACTER in text:
        return FieldError(where or "body", "invalid_character", SINGLE_LINE_RULE)
    return FieldError(where or "body", "invalid", text)


def invalid_request(errors: Sequence[FieldError]) -> HttpProblem:
    """The 400 for a request that does not match its schema, naming each field."""
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or "the request does not match its schema"
    return HttpProblem(400, "invalid_request", detail, errors=errors)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix and name else (prefix or name or "body")


def documented(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem responses a route may return."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_TITLES[_BY_STATUS.get(status, _STATUS_CODES.get(status, "bad_request"))],
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
        )
        for status in statuses
    }


# The problems a route can answer, by kind of route; every route documents one of these sets.
READ = (400, 401, 403, 404, 429, 500, 503)
WRITE = (*READ, 409, 413, 415, 422)
# An action that checks If-Match when it is sent; an edit that requires it (428 without).
CONDITIONAL_WRITE = (*WRITE, 412)
GUARDED_WRITE = (*CONDITIONAL_WRITE, 428)

_STATUS_CODES = {422: "validation_error", 500: "internal_error", 503: "unavailable"}


__all__ = [
    "CONDITIONAL_WRITE",
    "GUARDED_WRITE",
    "READ",
    "WRITE",
    "EXCEPTION_HANDLERS",
    "PROBLEM_BASE",
    "PROBLEM_MEDIA_TYPE",
    "FieldProblem",
    "HttpProblem",
    "Problem",
    "documented",
    "invalid_request",
    "problem_response",
    "problem_type",
    "schema_error",
]
