"""Read a tenant's whole visible state through the ports, to prove a failed command changed nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from attrs import frozen

from lana_core.domain.pagination import MAX_LIMIT, Page, PageRequest
from lana_core.domain.queries import Archived, CustomerQuery
from lana_core.ports import OutboxRelayStore
from lana_core.usecases._base import Kernel

_EVER = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))


@frozen
class TenantState:
    customers: tuple[Any, ...]
    audit: tuple[Any, ...]
    analytics_events: int
    pending_events: int


async def everything(kernel: Kernel, relay: OutboxRelayStore, tenant_id: UUID) -> TenantState:
    """Every customer (archived too), their audit trails, the analytics count and the outbox backlog."""
    async with kernel.uow(tenant_id) as uow:
        customers = await all_pages(
            lambda cursor: uow.customers.list(
                CustomerQuery(archived=Archived.INCLUDE, page=PageRequest.of(MAX_LIMIT, cursor))
            )
        )
        audit = [entry for c in customers for entry in await uow.audit.list_for_customer(c.id, 1_000)]
        metrics = await uow.analytics.metrics(*_EVER, top=5)
    return TenantState(
        customers=tuple(sorted(customers, key=lambda c: c.id)),
        audit=tuple(audit),
        analytics_events=metrics.total_events,
        pending_events=await relay.pending_count(),
    )


async def all_pages(fetch: Any) -> Sequence[Any]:
    """Follow ``next_cursor`` until the last page; ``fetch(cursor)`` returns one page."""
    items: list[Any] = []
    cursor: str | None = None
    while True:
        page: Page[Any] = await fetch(cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor
