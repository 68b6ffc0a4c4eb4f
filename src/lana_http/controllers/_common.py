"""Parameters and checks every controller shares."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar.params import QueryParameter

from lana_core.domain.pagination import DEFAULT_LIMIT, MAX_LIMIT, PageRequest
from lana_core.domain.validation import SINGLE_LINE_PATTERN
from lana_core.errors import ValidationError

API = "/api/v1"

Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size.")]
Cursor = Annotated[
    str | None, QueryParameter(max_length=512, description="`next_cursor` of the previous page.")
]
DEFAULT_PAGE = DEFAULT_LIMIT
# Off by default: a list's answer stays one query unless the caller wants the count.
Count = Annotated[
    bool,
    QueryParameter(description="Also answer `total`: how many records match the filters, on every page."),
]
# Text a list is filtered by: a control character in it is a malformed parameter (400), as the
# schema says; the core refuses it as well, for callers that do not come through HTTP.
TextFilter = Annotated[str | None, QueryParameter(pattern=SINGLE_LINE_PATTERN)]


def page_of(limit: int, cursor: str | None) -> PageRequest:
    """The page a list asks for; raises ValidationError for a cursor this API did not issue."""
    return PageRequest.of(limit, cursor)


# A time a list is filtered by. Taken as text and read here: Litestar's lenient conversion
# would also take a number as seconds since 1970, which the schema does not allow.
TimeFilter = Annotated[str | None, QueryParameter(max_length=64, schema_extra={"format": "date-time"})]


_EXAMPLE_TIME = "2026-01-01T00:00:00Z"


def aware(value: str | None, field: str) -> datetime | None:
    """The time ``value`` names (RFC 3339, with its zone); None when absent. A text that is
    no date-time, or a time without a zone (comparing it with stored UTC times has no
    meaning), raises ValidationError."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError.single(
            field, "invalid", "must be a date-time like 2026-01-01T00:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise ValidationError.single(
            field, "naive_datetime", "must carry a time zone, e.g. 2026-01-01T00:00:00Z"
        )
    return moment


def sent_fields(body: msgspec.Struct) -> dict[str, Any]:
    """The fields a partial edit sent (lists as tuples, as the commands hold them)."""
    return {
        name: tuple(value) if isinstance(value, list) else value
        for name, value in msgspec.structs.asdict(body).items()
        if value is not msgspec.UNSET
    }
