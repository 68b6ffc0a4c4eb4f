"""The two kinds of body: requests reject unknown fields; responses are plain records.

Request fields carry two kinds of limit. Shape limits (lengths, counts) are enforced as
the body is decoded (400). The domain's rules (a name that is not blank, an email
address, a password long enough) stay the domain's to enforce (422, every broken rule
named at once) and are only *stated* in the OpenAPI document, with :func:`states`, so a
client can read the whole contract.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from lana_core.domain.pagination import Page

JsonScalar = str | int | float | bool | None


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A request body: unknown fields (ids, versions, timestamps, tenants) are refused with 400."""

    # JSON Schema keywords about the body as a whole (a field required when another is
    # absent), added to its schema in the OpenAPI document; the domain enforces them.
    schema_rules: ClassVar[dict[str, Any]] = {}


class Out(msgspec.Struct, kw_only=True):
    """A response body."""


def total_of(page: Page[Any]) -> int | msgspec.UnsetType:
    """A page's ``total`` as a body field: left out unless the list was asked to count."""
    return msgspec.UNSET if page.total is None else page.total


def states(**keywords: Any) -> msgspec.Meta:
    """JSON Schema ``keywords`` a field's schema shows and the decoder does not check: rules
    the domain enforces with 422 (e.g. ``states(pattern=NOT_BLANK)``)."""
    return msgspec.Meta(extra_json_schema={"extra": keywords})
