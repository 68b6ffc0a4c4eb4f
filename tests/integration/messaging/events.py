"""Domain events built directly, and hypothesis strategies for them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from hypothesis import strategies as st

from lana_core.domain.events import CUSTOMER_CREATED, EVENT_TYPES, DomainEvent
from lana_core.system import TimeOrderedIds

_ids = TimeOrderedIds()


def event(
    *,
    type: str = CUSTOMER_CREATED,
    tenant_id: UUID | None = None,
    aggregate_id: UUID | None = None,
    version: int = 1,
    payload: dict[str, Any] | None = None,
) -> DomainEvent:
    return DomainEvent(
        id=_ids.new_id(),
        type=type,
        tenant_id=tenant_id or uuid4(),
        aggregate_type=type.split(".", maxsplit=1)[0],
        aggregate_id=aggregate_id or uuid4(),
        aggregate_version=version,
        occurred_at=datetime.now(UTC),
        actor_id=uuid4(),
        payload=payload if payload is not None else {"name": "Grace"},
    )


_json_leaves = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
_json = st.recursive(
    _json_leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_traceparent = st.from_regex(r"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]", fullmatch=True)

events = st.builds(
    DomainEvent,
    id=st.uuids(),
    type=st.sampled_from(sorted(EVENT_TYPES)),
    tenant_id=st.uuids(),
    aggregate_type=st.sampled_from(["customer", "project", "task"]),
    aggregate_id=st.uuids(),
    aggregate_version=st.integers(1, 10_000),
    occurred_at=st.datetimes(timezones=st.just(UTC)),
    actor_id=st.none() | st.uuids(),
    payload=st.dictionaries(st.text(max_size=10), _json, max_size=5),
    trace_context=st.fixed_dictionaries(
        {}, optional={"traceparent": _traceparent, "tracestate": st.just("k=v")}
    ),
)
