"""Customer bodies: create, partial edit, status and value changes, and the customer read."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from lana_core.domain.customers import Customer, CustomerStatus, CustomerValue
from lana_core.domain.pagination import Page
from lana_core.domain.projects import ProjectStats, TaskStats
from lana_core.usecases.customers import CustomerView
from lana_http.schemas.base import Body, JsonScalar, Out, total_of
from lana_http.schemas.fields import Attributes, LongText, Name, OptionalEmail, Phone, ShortText, Tags


class CustomerCreate(Body):
    name: Name
    email: OptionalEmail | None = None
    phone: Phone | None = None
    company: ShortText | None = None
    notes: LongText | None = None
    value: CustomerValue = CustomerValue.MEDIUM
    status: CustomerStatus = CustomerStatus.PROSPECT
    owner_id: UUID | None = None
    tags: Tags = msgspec.field(default_factory=list)
    attributes: Attributes = msgspec.field(default_factory=dict)
    # The customer's key in another system; unique in the tenant.
    external_id: ShortText | None = None


class CustomerPatch(Body):
    """Only the fields sent change; ``null`` clears an optional field."""

    name: Name | UnsetType = UNSET
    email: OptionalEmail | UnsetType | None = UNSET
    phone: Phone | UnsetType | None = UNSET
    company: ShortText | UnsetType | None = UNSET
    notes: LongText | UnsetType | None = UNSET
    owner_id: UUID | UnsetType | None = UNSET
    tags: Tags | UnsetType = UNSET
    attributes: Attributes | UnsetType = UNSET
    external_id: ShortText | UnsetType | None = UNSET


class CustomerStatusChange(Body):
    status: CustomerStatus


class CustomerValueChange(Body):
    value: CustomerValue


class CustomerOut(Out):
    id: UUID
    name: str
    email: str | None
    phone: str | None
    company: str | None
    notes: str | None
    tags: list[str]
    attributes: dict[str, JsonScalar]
    external_id: str | None
    value: CustomerValue
    status: CustomerStatus
    owner_id: UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None
    archived_at: datetime | None

    @classmethod
    def of(cls, customer: Customer) -> CustomerOut:
        return cls(**_fields(customer))


class ProjectStatsOut(Out):
    total: int
    done: int
    in_progress: int
    overdue: int

    @classmethod
    def of(cls, stats: ProjectStats) -> ProjectStatsOut:
        return cls(total=stats.total, done=stats.done, in_progress=stats.in_progress, overdue=stats.overdue)


class TaskStatsOut(Out):
    total: int
    completed: int
    completion_rate: float

    @classmethod
    def of(cls, stats: TaskStats) -> TaskStatsOut:
        return cls(total=stats.total, completed=stats.completed, completion_rate=stats.completion_rate)


class CustomerDetailOut(CustomerOut):
    """A customer with its project and task figures."""

    project_stats: ProjectStatsOut
    task_stats: TaskStatsOut

    @classmethod
    def of_view(cls, view: CustomerView) -> CustomerDetailOut:
        return cls(
            **_fields(view.customer),
            project_stats=ProjectStatsOut.of(view.project_stats),
            task_stats=TaskStatsOut.of(view.task_stats),
        )


class CustomerPage(Out):
    items: list[CustomerOut]
    next_cursor: str | None
    # Only when the list was asked to count (`?count=true`).
    total: int | UnsetType = UNSET

    @classmethod
    def of(cls, page: Page[Customer]) -> CustomerPage:
        return cls(
            items=[CustomerOut.of(c) for c in page.items], next_cursor=page.next_cursor, total=total_of(page)
        )


def _fields(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "company": customer.company,
        "notes": customer.notes,
        "tags": list(customer.tags),
        "attributes": dict(customer.attributes),
        "external_id": customer.external_id,
        "value": customer.value,
        "status": customer.status,
        "owner_id": customer.owner_id,
        "version": customer.version,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "activated_at": customer.activated_at,
        "archived_at": customer.archived_at,
    }
