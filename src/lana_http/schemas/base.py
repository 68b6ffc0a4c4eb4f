"""The two kinds of body: requests reject unknown fields; responses are plain records."""

from __future__ import annotations

import msgspec

JsonScalar = str | int | float | bool | None


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A request body: unknown fields (ids, versions, timestamps, tenants) are refused with 400."""


class Out(msgspec.Struct, kw_only=True):
    """A response body."""
