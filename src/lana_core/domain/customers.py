"""The customer aggregate: contact data, lifecycle status, value tier, ownership."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from attrs import frozen

from lana_core.domain import validation
from lana_core.domain.choices import Choice
from lana_core.domain.projects import ProjectStats, TaskStats
from lana_core.domain.validation import JsonScalar
from lana_core.domain.versions import check_version, next_version
from lana_core.errors import Conflict, ValidationError


class CustomerStatus(Choice, field="status"):
    PROSPECT = "prospect"
    ACTIVE = "active"
    INACTIVE = "inactive"


class CustomerValue(Choice, field="value"):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


# A prospect is won (active) or lost (inactive); an inactive customer can be won back,
# an active one can lapse. Nobody becomes a prospect again: that history is kept.
STATUS_TRANSITIONS: Mapping[CustomerStatus, frozenset[CustomerStatus]] = {
    CustomerStatus.PROSPECT: frozenset({CustomerStatus.ACTIVE, CustomerStatus.INACTIVE}),
    CustomerStatus.ACTIVE: frozenset({CustomerStatus.INACTIVE}),
    CustomerStatus.INACTIVE: frozenset({CustomerStatus.ACTIVE}),
}

# Fields an update may change; status, value and archiving have their own commands.
EDITABLE_FIELDS = (
    "name",
    "email",
    "phone",
    "company",
    "notes",
    "owner_id",
    "tags",
    "attributes",
    "external_id",
)
MAX_EXTERNAL_ID_LENGTH = 200


@frozen(kw_only=True)
class ContactDetails:
    """The validated, normalised editable part of a customer."""

    name: str
    email: str | None
    phone: str | None
    company: str | None
    notes: str | None
    tags: tuple[str, ...]
    attributes: Mapping[str, JsonScalar]
    # The customer's key in another system (a spreadsheet, the CRM imported from): unique
    # in the tenant when set, so an import can match rows to customers by it.
    external_id: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        name: str,
        email: str | None,
        phone: str | None,
        company: str | None,
        notes: str | None,
        tags: tuple[str, ...] | list[str],
        attributes: Mapping[str, JsonScalar],
        external_id: str | None = None,
        phones: validation.PhoneFormat = validation.DIGITS_PHONE_FORMAT,
    ) -> ContactDetails:
        """The details validated and normalised; ``phones`` decides what a valid phone number
        is and how it is written. Raises ValidationError naming every bad field."""
        errors = validation.Errors()
        details = cls(
            name=validation.text(errors, "name", name, max_length=200, required=True) or "",
            email=validation.email(errors, "email", email),
            phone=validation.phone(errors, "phone", phone, phones),
            company=validation.text(errors, "company", company, max_length=200),
            notes=validation.text(errors, "notes", notes, max_length=10_000, multiline=True),
            tags=validation.tags(errors, "tags", tags),
            attributes=validation.attributes(errors, "attributes", attributes),
            external_id=validation.text(
                errors, "external_id", external_id, max_length=MAX_EXTERNAL_ID_LENGTH
            ),
        )
        errors.raise_if_any()
        return details


def _fields_of(details: ContactDetails) -> dict[str, Any]:
    """Contact details as the customer fields of the same names."""
    return attrs.asdict(details, recurse=False)


@frozen(kw_only=True)
class Customer:
    """A person or organisation the tenant does business with.

    ``version`` starts at 1 and grows by one with every change; a change made against
    an older version is a :class:`Conflict`. ``activated_at`` is when it first became
    active, which the dashboard's conversion rate counts. ``merged_into`` is set on a
    tombstone: a customer merged into another one (archived, and never changed again).
    """

    id: UUID
    tenant_id: UUID
    name: str
    email: str | None
    phone: str | None
    company: str | None
    notes: str | None
    tags: tuple[str, ...]
    attributes: Mapping[str, JsonScalar]
    value: CustomerValue
    status: CustomerStatus
    owner_id: UUID | None
    version: int
    created_at: datetime
    updated_at: datetime
    activated_at: datetime | None
    archived_at: datetime | None
    merged_into: UUID | None = None
    external_id: str | None = None

    @classmethod
    def create(
        cls,
        *,
        id: UUID,
        tenant_id: UUID,
        details: ContactDetails,
        value: CustomerValue,
        status: CustomerStatus,
        owner_id: UUID | None,
        now: datetime,
    ) -> Customer:
        status = CustomerStatus(status)
        return cls(
            id=id,
            tenant_id=tenant_id,
            **_fields_of(details),
            value=CustomerValue(value),
            status=status,
            owner_id=owner_id,
            version=1,
            created_at=now,
            updated_at=now,
            activated_at=now if status is CustomerStatus.ACTIVE else None,
            archived_at=None,
        )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def details(self) -> ContactDetails:
        return ContactDetails(
            **{field.name: getattr(self, field.name) for field in attrs.fields(ContactDetails)}
        )

    def check_version(self, expected: int | None) -> None:
        """Refuse a change made against another version than the stored one."""
        check_version("customer", self, expected, advice="; reload and retry")

    def with_details(self, details: ContactDetails, owner_id: UUID | None, now: datetime) -> Customer:
        self._ensure_not_archived()
        return next_version(
            self,
            now,
            **_fields_of(details),
            owner_id=owner_id,
        )

    def change_status(self, status: CustomerStatus, now: datetime) -> Customer:
        self._ensure_not_archived()
        status = CustomerStatus(status)
        if status not in STATUS_TRANSITIONS[self.status]:
            raise ValidationError.single(
                "status",
                "illegal_transition",
                f"a customer cannot move from {self.status} to {status}",
            )
        activated_at = self.activated_at or (now if status is CustomerStatus.ACTIVE else None)
        return next_version(self, now, status=status, activated_at=activated_at)

    def change_value(self, value: CustomerValue, now: datetime) -> Customer:
        self._ensure_not_archived()
        return next_version(self, now, value=CustomerValue(value))

    def archive(self, now: datetime) -> Customer:
        if self.is_archived:
            raise Conflict(f"customer {self.id} is already archived")
        return next_version(self, now, archived_at=now)

    def merge_into(self, kept_id: UUID, now: datetime) -> Customer:
        """This customer as a tombstone of a merge into ``kept_id``."""
        self._ensure_not_archived()
        return next_version(self, now, archived_at=now, merged_into=kept_id)

    def restore(self, now: datetime) -> Customer:
        self._ensure_not_merged()
        if not self.is_archived:
            raise Conflict(f"customer {self.id} is not archived")
        return next_version(self, now, archived_at=None)

    def _ensure_not_merged(self) -> None:
        if self.merged_into is not None:
            raise Conflict(f"customer {self.id} was merged into customer {self.merged_into}")

    def _ensure_not_archived(self) -> None:
        self._ensure_not_merged()
        if self.is_archived:
            raise Conflict(f"customer {self.id} is archived; restore it before changing it")


@frozen(kw_only=True)
class CustomerView:
    """A customer with the original's derived ``project_stats`` and ``task_stats``."""

    customer: Customer
    project_stats: ProjectStats
    task_stats: TaskStats
