"""Judging the rows of an import: what each one creates or changes, or why it is refused."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from attrs import define, field, frozen

from lana_core.domain import events
from lana_core.domain.choices import Choice
from lana_core.domain.customer_csv import ColumnMap, CsvRow, RowFields, parse_row
from lana_core.domain.customers import ContactDetails, Customer, CustomerStatus, CustomerValue
from lana_core.domain.policy import Action, Resource, is_allowed
from lana_core.domain.tenancy import Actor, TenantSettings
from lana_core.errors import FieldError, LanaError, ValidationError
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import policy_settings
from lana_core.usecases._recording import Change, snapshot
from lana_core.usecases.customers import CreateCustomer, contact_details, owns, resolve_owner

_TEXT_FIELDS = ("name", "email", "phone", "company", "notes")


class Outcome(Choice, field="outcome"):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


Problems = tuple[tuple[str, str], ...]


@frozen(kw_only=True)
class RowPlan:
    """One row's verdict: a customer to create, changes to store, nothing, or a refusal."""

    row: CsvRow
    outcome: Outcome
    customer_id: UUID | None = None
    problems: Problems = ()
    create: CreateCustomer | None = None
    details: ContactDetails | None = None
    changes: tuple[tuple[Change, Customer], ...] = ()


class _Refused(Exception):
    def __init__(self, problems: Problems) -> None:
        super().__init__(problems)
        self.problems = problems


@define(kw_only=True)
class RowPlanner:
    """Judges rows by the rules of a single create or update, in the import's unit of work."""

    uow: UnitOfWork
    actor: Actor
    mode: str
    columns: ColumnMap
    now: datetime
    _settings: TenantSettings | None = field(default=None, alias="_settings")

    async def plan(self, chunk: Sequence[CsvRow]) -> list[RowPlan]:
        """A plan for each row; the chunk holds no email twice."""
        parsed = [(row, parse_row(self.columns, row)) for row in chunk]
        by_email = await self._by_email([fields for _, fields in parsed])
        plans = []
        for row, fields in parsed:
            try:
                plans.append(await self._plan(row, fields, await self._match(fields, by_email)))
            except _Refused as refused:
                plans.append(RowPlan(row=row, outcome=Outcome.REFUSED, problems=refused.problems))
        return plans

    async def _by_email(self, rows: Sequence[RowFields]) -> Mapping[str, Customer]:
        emails = {_normal_email(fields.given.get("email")) for fields in rows} - {None}
        found = await self.uow.customers.with_emails([e for e in emails if e is not None])
        return {customer.email: customer for customer in found if customer.email is not None}

    async def _match(self, fields: RowFields, by_email: Mapping[str, Customer]) -> Customer | None:
        """The stored customer a row names: by its id when the tenant has it, else by email."""
        if fields.problems:
            raise _Refused(tuple((p.field, p.message) for p in fields.problems))
        given_id = fields.given.get("id")
        if isinstance(given_id, UUID) and self.mode != "create":
            customer = await self.uow.customers.get(given_id)
            if customer is not None:
                return customer
        email = _normal_email(fields.given.get("email"))
        return None if email is None else by_email.get(email)

    async def _plan(self, row: CsvRow, fields: RowFields, match: Customer | None) -> RowPlan:
        if match is None and self.mode == "update":
            raise self._refusal("email", "matches no customer of this tenant (by id or email)")
        if match is not None and self.mode == "create":
            raise self._refusal("email", "a customer of this tenant already has this email")
        if match is None:
            return await self._plan_create(row, fields)
        return await self._plan_update(row, fields, match)

    async def _plan_create(self, row: CsvRow, fields: RowFields) -> RowPlan:
        given = fields.given
        command = CreateCustomer(
            name=_text(given.get("name")) or "",
            email=_text(given.get("email")),
            phone=_text(given.get("phone")),
            company=_text(given.get("company")),
            notes=_text(given.get("notes")),
            value=_choice(given.get("value"), CustomerValue.MEDIUM),
            status=_choice(given.get("status"), CustomerStatus.PROSPECT),
            owner_id=_uuid(given.get("owner_id")),
            tags=_tags(given.get("tags")),
            attributes={**_attributes(given.get("attributes")), **fields.extra_attributes},
        )
        details = self._checked(lambda: contact_details(command))
        await self._owner(command.owner_id, reassigning=False)
        return RowPlan(row=row, outcome=Outcome.CREATED, create=command, details=details)

    async def _plan_update(self, row: CsvRow, fields: RowFields, before: Customer) -> RowPlan:
        if before.is_archived:
            raise self._refusal("email", "matches an archived customer: restore it before importing changes")
        settings = await self._policy_settings()
        if not is_allowed(
            self.actor, Action.UPDATE, Resource.CUSTOMER, owned=owns(self.actor, before), settings=settings
        ):
            raise self._refusal("email", "matches a customer you may not change")
        given = fields.given
        details = self._checked(lambda: _patched(before, fields))
        owner_id = before.owner_id
        if "owner_id" in given and given["owner_id"] != before.owner_id:
            owner_id = await self._owner(_uuid(given["owner_id"]), reassigning=True)
        changes: list[tuple[Change, Customer]] = []
        after = before
        if not _same(details, before.details()) or owner_id != before.owner_id:
            after = self._step(
                changes, events.CUSTOMER_UPDATED, after, lambda c: c.with_details(details, owner_id, self.now)
            )
        status = given.get("status")
        if isinstance(status, CustomerStatus) and status is not after.status:
            after = self._step(
                changes, events.CUSTOMER_STATUS_CHANGED, after, lambda c: c.change_status(status, self.now)
            )
        value = given.get("value")
        if isinstance(value, CustomerValue) and value is not after.value:
            after = self._step(
                changes, events.CUSTOMER_VALUE_CHANGED, after, lambda c: c.change_value(value, self.now)
            )
        outcome = Outcome.UPDATED if changes else Outcome.UNCHANGED
        return RowPlan(row=row, outcome=outcome, customer_id=before.id, changes=tuple(changes))

    def _step(
        self, changes: list[tuple[Change, Customer]], event_type: str, before: Customer, apply: Any
    ) -> Customer:
        after: Customer = self._checked(lambda: apply(before))
        change = Change(
            event_type=event_type,
            aggregate_type="customer",
            aggregate_id=after.id,
            aggregate_version=after.version,
            customer_id=after.id,
            before=snapshot(before),
            after=snapshot(after),
        )
        changes.append((change, after))
        return after

    async def _owner(self, requested: UUID | None, *, reassigning: bool) -> UUID | None:
        try:
            return await resolve_owner(self.uow, self.actor, requested, reassigning=reassigning)
        except ValidationError as error:
            raise self._refused(error.errors) from None

    async def _policy_settings(self) -> TenantSettings:
        if self._settings is None:
            self._settings = await policy_settings(self.uow, self.actor)
        return self._settings

    def _checked(self, build: Any) -> Any:
        try:
            return build()
        except ValidationError as error:
            raise self._refused(error.errors) from None
        except LanaError as error:
            raise self._refusal("email", error.message) from None

    def _refused(self, errors: Sequence[FieldError]) -> _Refused:
        return _Refused(tuple((self.columns.header_of(e.field), e.message) for e in errors))

    def _refusal(self, target: str, message: str) -> _Refused:
        return _Refused(((self.columns.header_of(target), message),))


def _patched(before: Customer, fields: RowFields) -> ContactDetails:
    current, given = before.details(), fields.given

    def pick(name: str) -> Any:
        return given[name] if name in given else getattr(current, name)

    base = _attributes(given["attributes"]) if "attributes" in given else dict(current.attributes)
    return ContactDetails.parse(
        name=_text(pick("name")) or "",
        email=_text(pick("email")),
        phone=_text(pick("phone")),
        company=_text(pick("company")),
        notes=_text(pick("notes")),
        tags=_tags(pick("tags")),
        attributes={**base, **fields.extra_attributes},
    )


def _same(one: ContactDetails, other: ContactDetails) -> bool:
    return all(getattr(one, name) == getattr(other, name) for name in (*_TEXT_FIELDS, "tags")) and dict(
        one.attributes
    ) == dict(other.attributes)


def _normal_email(value: object) -> str | None:
    return value.strip().lower() or None if isinstance(value, str) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _uuid(value: object) -> UUID | None:
    return value if isinstance(value, UUID) else None


def _tags(value: object) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, tuple) else ()


def _attributes(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _choice(value: object, default: Any) -> Any:
    return value if value is not None else default
