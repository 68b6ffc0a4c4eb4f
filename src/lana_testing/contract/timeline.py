"""The customer timeline pages the same on every adapter: audit entries read after a cursor,
and the timeline walked page by page is the timeline read at once."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from lana_core.domain.customers import CustomerValue
from lana_core.domain.interactions import InteractionType
from lana_core.domain.pagination import Cursor, PageRequest
from lana_core.domain.projects import ProjectStatus
from lana_core.domain.tenancy import Actor
from lana_core.memory import ManualClock
from lana_core.usecases._base import Kernel
from lana_core.usecases.customers import CreateCustomer, CreateCustomerHandler
from lana_core.usecases.interactions import RecordInteraction, RecordInteractionHandler
from lana_core.usecases.projects import (
    ChangeProjectStatus,
    ChangeProjectStatusHandler,
    CreateProject,
    CreateProjectHandler,
)
from lana_core.usecases.timeline import GetTimelineHandler, TimelineEntry
from lana_testing.contract.fixtures import adapters, admin, clock, kernel


async def _history(kernel: Kernel, admin: Actor, clock: ManualClock) -> UUID:
    """A customer with changes (two at one instant) and interactions, some logged after the fact."""
    customer = await CreateCustomerHandler(kernel)(
        admin, CreateCustomer(name="Ada", value=CustomerValue.HIGH)
    )
    record = RecordInteractionHandler(kernel)
    for days in (2, 0, 1):
        when = clock.now() - timedelta(days=days)
        await record(
            admin,
            RecordInteraction(
                customer_id=customer.id, type=InteractionType.CALL, subject="Call", occurred_at=when
            ),
        )
    clock.advance(timedelta(minutes=1))
    project = await CreateProjectHandler(kernel)(
        admin, CreateProject(customer_id=customer.id, title="Relaunch")
    )
    clock.advance(timedelta(minutes=1))
    await ChangeProjectStatusHandler(kernel)(
        admin, ChangeProjectStatus(project_id=project.id, status=ProjectStatus.IN_PROGRESS)
    )
    return customer.id


async def test_audit_entries_read_after_a_cursor_continue_the_newest_first_order(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer_id = await _history(kernel, admin, clock)

    async with kernel.uow(admin.tenant_id) as uow:
        everything = list(await uow.audit.list_for_customer(customer_id, 100))
        third = everything[2]
        after = await uow.audit.list_for_customer(
            customer_id, 100, after=Cursor(third.occurred_at.isoformat(), third.id)
        )

    assert len(everything) == 7
    assert list(after) == everything[3:]


async def test_the_timeline_walked_page_by_page_is_the_timeline_read_at_once(
    kernel: Kernel, admin: Actor, clock: ManualClock
) -> None:
    customer_id = await _history(kernel, admin, clock)
    timeline = GetTimelineHandler(kernel)
    at_once = await timeline(admin, customer_id, PageRequest(limit=200))

    walked: list[TimelineEntry] = []
    cursor: str | None = None
    while True:
        page = await timeline(admin, customer_id, PageRequest.of(2, cursor))
        walked.extend(page.items)
        if (cursor := page.next_cursor) is None:
            break

    assert at_once.next_cursor is None
    assert len(at_once.items) == 7  # 4 changes (2 at one instant) and 3 interactions
    assert walked == list(at_once.items)


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "test_audit_entries_read_after_a_cursor_continue_the_newest_first_order",
    "test_the_timeline_walked_page_by_page_is_the_timeline_read_at_once",
]
