"""Read-side filters the repositories answer; each names exactly what a list may filter and sort by."""

from __future__ import annotations

import enum
from datetime import date, datetime
from uuid import UUID

from attrs import frozen

from lana_core.domain import validation
from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.pagination import PageRequest, SortOrder
from lana_core.domain.projects import Priority, ProjectStatus


class CustomerSort(enum.StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NAME = "name"


class Archived(enum.StrEnum):
    EXCLUDE = "exclude"
    INCLUDE = "include"
    ONLY = "only"


@frozen(kw_only=True)
class CustomerQuery:
    """``text`` matches name, email or company, case-insensitively (adapters may rank or
    tolerate typos on top, but every record containing the text is found)."""

    status: CustomerStatus | None = None
    value: CustomerValue | None = None
    tag: str | None = None
    owner_id: UUID | None = None
    text: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    archived: Archived = Archived.EXCLUDE
    sort: CustomerSort = CustomerSort.CREATED_AT
    order: SortOrder = SortOrder.DESC
    page: PageRequest = PageRequest()

    def checked(self) -> CustomerQuery:
        """This query, once its text filters hold no control character. Raises ValidationError.

        The text is matched as given, unstripped, so every character of it counts.
        """
        errors = validation.Errors()
        for field, value in (("text", self.text), ("tag", self.tag)):
            if isinstance(value, str):
                validation.free_of_control_characters(errors, field, value)
        errors.raise_if_any()
        return self


class ProjectSort(enum.StrEnum):
    CREATED_AT = "created_at"
    DUE_DATE = "due_date"


@frozen(kw_only=True)
class ProjectQuery:
    """``overdue_on`` keeps projects overdue on that day; archived projects are never listed."""

    customer_id: UUID | None = None
    status: ProjectStatus | None = None
    priority: Priority | None = None
    assignee_id: UUID | None = None
    due_before: date | None = None
    due_after: date | None = None
    overdue_on: date | None = None
    sort: ProjectSort = ProjectSort.CREATED_AT
    order: SortOrder = SortOrder.DESC
    page: PageRequest = PageRequest()


@frozen(kw_only=True)
class TaskQuery:
    project_id: UUID | None = None
    completed: bool | None = None
    assignee_id: UUID | None = None
    page: PageRequest = PageRequest()
