"""Which failed model calls are worth another attempt, how long to wait first, and the
stable reason a failure is reported with."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

import openai

# Statuses a later attempt may get past: timeout, conflict, rate limit, server errors.
RETRIED_STATUSES = frozenset({408, 409, 429})
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 8.0


def retry_wait(exc: openai.OpenAIError, attempt: int) -> float | None:
    """Seconds to wait before retrying after ``exc`` on attempt ``attempt`` (0 first), or
    None when another attempt would fail the same way."""
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return _backoff(attempt)
    if isinstance(exc, openai.APIStatusError) and (
        exc.status_code in RETRIED_STATUSES or exc.status_code >= 500
    ):
        asked = _retry_after(exc)
        return _backoff(attempt) if asked is None else asked
    return None


def failure_reason(exc: openai.OpenAIError) -> str:
    """The stable reason recorded for an SDK failure."""
    if isinstance(exc, openai.APITimeoutError):
        return "timeout"
    if isinstance(exc, openai.APIConnectionError):
        return "connection_error"
    if isinstance(exc, openai.RateLimitError):
        return "rate_limited"
    if isinstance(exc, openai.APIStatusError):
        return "server_error" if exc.status_code >= 500 else "bad_request"
    if isinstance(exc, openai.APIResponseValidationError):
        return "invalid_output: response does not match the protocol"
    # Anything else is a request the SDK refused to build, e.g. a rejected credential setting.
    return "bad_request"


def _backoff(attempt: int) -> float:
    # Jitter spreads the retries of many callers failed by one outage (not a secret: S311).
    ceiling: float = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2.0**attempt)
    return ceiling * (0.75 + random.random() / 4)  # noqa: S311


def _retry_after(exc: openai.APIStatusError) -> float | None:
    """What the server asked for: ``retry-after-ms``, ``retry-after`` seconds or an HTTP date."""
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name, "").strip()
        try:
            return max(0.0, float(raw) / scale)
        except ValueError:
            pass
    return _seconds_until(headers.get("retry-after", ""))


def _seconds_until(http_date: str) -> float | None:
    try:
        moment = parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())
