"""Read-side filters the repositories answer; each names exactly what a list may filter and sort by."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from attrs import field, frozen
from attrs.converters import optional

from lana_core.domain import validation
from lana_core.domain.choices import Choice
from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.pagination import PageRequest, SortOrder
from lana_core.domain.projects import Priority, ProjectStatus
from lana_core.errors import InvalidChoice


class CustomerSort(Choice, field="sort"):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NAME = "name"


class Archived(Choice, field="archived"):
    EXCLUDE = "exclude"
    INCLUDE = "include"
    ONLY = "only"


# The sort a text search ranks by, most relevant first (see ``CustomerQuery``). Not a
# CustomerSort member: the HTTP API does not offer it yet, library callers pass it as given.
RELEVANCE = "relevance"


def _customer_sort(value: str) -> Any:
    """A sort the core names, in any case, or :data:`RELEVANCE`; raises InvalidChoice for
    any other, so no adapter meets a sort it cannot answer."""
    if isinstance(value, str) and value.lower() == RELEVANCE:
        return RELEVANCE
    try:
        return CustomerSort(value)
    except InvalidChoice:
        raise InvalidChoice(CustomerSort.field_name, (*CustomerSort.allowed(), RELEVANCE)) from None


@frozen(kw_only=True)
class CustomerQuery:
    """``text`` matches name, email or company, case-insensitively (adapters may rank or
    tolerate typos on top, but every record containing the text is found).

    ``sort=RELEVANCE`` ranks the matches: the name being the text beats the name starting
    with it, which beats the text anywhere (``order`` descending, the default, puts the best
    first). An adapter may order closer matches first within one of these tiers (PostgreSQL
    does). Without a text it lists by ``created_at``.
    """

    # A filter named as a string (by a library caller) is parsed like any other: in any case.
    status: CustomerStatus | None = field(default=None, converter=optional(CustomerStatus))
    value: CustomerValue | None = field(default=None, converter=optional(CustomerValue))
    tag: str | None = None
    owner_id: UUID | None = None
    text: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    archived: Archived = field(default=Archived.EXCLUDE, converter=Archived)
    sort: CustomerSort = field(default=CustomerSort.CREATED_AT, converter=_customer_sort)
    order: SortOrder = field(default=SortOrder.DESC, converter=SortOrder)
    page: PageRequest = PageRequest()

    def checked(self) -> CustomerQuery:
        """This query, once its text filters hold no control character. Raises ValidationError.

        The text is matched as given, unstripped, so every character of it counts.
        """
        errors = validation.Errors()
        for name, value in (("text", self.text), ("tag", self.tag)):
            if isinstance(value, str):
                validation.free_of_control_characters(errors, name, value)
        errors.raise_if_any()
        return self


class ProjectSort(Choice, field="sort"):
    CREATED_AT = "created_at"
    DUE_DATE = "due_date"


@frozen(kw_only=True)
class ProjectQuery:
    """``overdue_on`` keeps projects overdue on that day; archived projects are never listed."""

    customer_id: UUID | None = None
    status: ProjectStatus | None = field(default=None, converter=optional(ProjectStatus))
    priority: Priority | None = field(default=None, converter=optional(Priority))
    assignee_id: UUID | None = None
    due_before: date | None = None
    due_after: date | None = None
    overdue_on: date | None = None
    sort: ProjectSort = field(default=ProjectSort.CREATED_AT, converter=ProjectSort)
    order: SortOrder = field(default=SortOrder.DESC, converter=SortOrder)
    page: PageRequest = PageRequest()


@frozen(kw_only=True)
class TaskQuery:
    project_id: UUID | None = None
    completed: bool | None = None
    assignee_id: UUID | None = None
    page: PageRequest = PageRequest()
