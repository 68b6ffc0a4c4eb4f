"""The body of a batch insight request."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar
from uuid import UUID

from msgspec import Meta

from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.validation import SINGLE_LINE_PATTERN
from lana_core.usecases.insights import MAX_BATCH_CUSTOMERS
from lana_http.schemas.base import Body, states

CustomerIds = Annotated[list[UUID], Meta(max_length=MAX_BATCH_CUSTOMERS), states(minItems=1)]

# A control character is malformed input here, as in the list's query parameters.
TextFilter = Annotated[str, Meta(pattern=SINGLE_LINE_PATTERN)]


class CustomerFilter(Body):
    """The live customers to assess: those matching every field given."""

    status: CustomerStatus | None = None
    value: CustomerValue | None = None
    tag: TextFilter | None = None
    owner_id: UUID | None = None
    q: TextFilter | None = None


class InsightBatchRequest(Body):
    """Either ``customer_ids`` or ``filter``; at most 500 customers."""

    schema_rules: ClassVar[dict[str, Any]] = {
        "oneOf": [
            {"required": [given], "properties": {given: {"type": kind}, other: {"type": "null"}}}
            for given, kind, other in (
                ("customer_ids", "array", "filter"),
                ("filter", "object", "customer_ids"),
            )
        ]
    }

    customer_ids: Annotated[list[UUID], Meta(max_length=MAX_BATCH_CUSTOMERS), states(minItems=1)] | None = (
        None
    )
    filter: CustomerFilter | None = None
    refresh: bool = False
