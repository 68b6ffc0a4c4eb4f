"""The layer every page controller shares: cookie sign-in instead of bearer tokens, the
CSRF check on every change, errors as pages, and no entry in the API's schema."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request
from litestar.di import Provide

from lana_core.errors import ValidationError
from lana_http.web.context import csrf_guard, provide_viewer
from lana_http.web.errors import WEB_EXCEPTION_HANDLERS

AnyRequest = Request[Any, Any, Any]


class PageController(Controller):
    """Base of the web's controllers."""

    include_in_schema = False
    opt = {"exclude_from_auth": True}  # noqa: RUF012
    guards = [csrf_guard]  # noqa: RUF012
    exception_handlers = dict(WEB_EXCEPTION_HANDLERS)  # type: ignore[arg-type]  # noqa: RUF012
    dependencies = {"viewer": Provide(provide_viewer)}  # noqa: RUF012


def field_errors(error: ValidationError) -> dict[str, str]:
    """The core's field errors by field name (the first one of each), for inline messages."""
    found: dict[str, str] = {}
    for item in error.errors:
        found.setdefault(item.field.split(".")[0].split("[")[0], item.message)
    return found


def refusal_status(error: Exception) -> int:
    """The status of a page shown again with the core's refusal: 422 for bad input, 409 for a
    conflict with the stored state."""
    return 422 if isinstance(error, ValidationError) else 409
