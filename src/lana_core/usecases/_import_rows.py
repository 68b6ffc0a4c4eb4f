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
from lana_core.domain.validation import PhoneFormat
from lana_core.errors import FieldError, LanaError, ValidationError
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import policy_settings
from lana_core.usecases._recording import Change, changed
from lana_core.usecases.customers import CreateCustomer, contact_details, owns, phones_for, resolve_owner

_TEXT_FIELDS = ("name", "email", "phone", "company", "notes", "external_id")
# The fields unique in a tenant, by which a row may name a stored customer.
KEYS = ("email", "external_id")


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
    phones: PhoneFormat
    match: str = "email"
    _settings: TenantSettings | None = field(default=None, alias="_settings")

    async def plan(self, chunk: Sequence[CsvRow]) -> list[RowPlan]:
        """A plan for each row; the chunk holds no email or external id twice."""
        parsed = [(row, parse_row(self.columns, row)) for row in chunk]
        found = await self._holders([fields for _, fields in parsed])
        plans = []
        for row, fields in parsed:
            try:
                match = await self._match(fields, found)
                self._refuse_taken_keys(fields, match, found)
                plans.append(await self._plan(row, fields, match))
            except _Refused as refused:
                plans.append(RowPlan(row=row, outcome=Outcome.REFUSED, problems=refused.problems))
        return plans

    async def _holders(self, rows: Sequence[RowFields]) -> Mapping[str, Mapping[str, Customer]]:
        """The stored customers holding the emails and external ids the rows give, by key."""
        emails = {_normal_key("email", fields.given.get("email")) for fields in rows} - {None}
        ids = {_normal_key("external_id", fields.given.get("external_id")) for fields in rows} - {None}
        customers = self.uow.customers
        by_email = await customers.with_emails([e for e in emails if e is not None]) if emails else []
        by_id = await customers.with_external_ids([i for i in ids if i is not None]) if ids else []
        return {
            "email": {c.email: c for c in by_email if c.email is not None},
            "external_id": {c.external_id: c for c in by_id if c.external_id is not None},
        }

    async def _match(self, fields: RowFields, found: Mapping[str, Mapping[str, Customer]]) -> Customer | None:
        """The stored customer a row names: by its id when the tenant has it, else by the
        import's match key."""
        if fields.problems:
            raise _Refused(tuple((p.field, p.message) for p in fields.problems))
        given_id = fields.given.get("id")
        if isinstance(given_id, UUID) and self.mode != "create":
            customer = await self.uow.customers.get(given_id)
            if customer is not None:
                return customer
        key = _normal_key(self.match, fields.given.get(self.match))
        return None if key is None else found[self.match].get(key)

    def _refuse_taken_keys(
        self, fields: RowFields, match: Customer | None, found: Mapping[str, Mapping[str, Customer]]
    ) -> None:
        """Refuse a row giving an email or external id another customer than its match holds."""
        for name in KEYS:
            holder = found[name].get(_normal_key(name, fields.given.get(name)) or "")
            if holder is not None and (match is None or holder.id != match.id):
                raise self._refusal(name, f"a customer of this tenant already has this {_label(name)}")

    async def _plan(self, row: CsvRow, fields: RowFields, match: Customer | None) -> RowPlan:
        if match is None and self.mode == "update":
            raise self._refusal(
                self.match, f"matches no customer of this tenant (by id or {_label(self.match)})"
            )
        if match is not None and self.mode == "create":
            raise self._refusal(
                self.match, f"a customer of this tenant already has this {_label(self.match)}"
            )
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
            external_id=_text(given.get("external_id")),
        )
        details = self._checked(lambda: contact_details(command, self.phones))
        await self._owner(command.owner_id, reassigning=False)
        return RowPlan(row=row, outcome=Outcome.CREATED, create=command, details=details)

    async def _plan_update(self, row: CsvRow, fields: RowFields, before: Customer) -> RowPlan:
        if before.is_archived:
            raise self._refusal(
                self.match, "matches an archived customer: restore it before importing changes"
            )
        settings = await self._policy_settings()
        if not is_allowed(
            self.actor, Action.UPDATE, Resource.CUSTOMER, owned=owns(self.actor, before), settings=settings
        ):
            raise self._refusal(self.match, "matches a customer you may not change")
        given = fields.given
        details = self._checked(lambda: _patched(before, fields, self.phones))
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
        change = changed(event_type, "customer", after, before, after.id)
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
            raise self._refusal(self.match, error.message) from None

    def _refused(self, errors: Sequence[FieldError]) -> _Refused:
        return _Refused(tuple((self.columns.header_of(e.field), e.message) for e in errors))

    def _refusal(self, target: str, message: str) -> _Refused:
        return _Refused(((self.columns.header_of(target), message),))


def _patched(before: Customer, fields: RowFields, phones: PhoneFormat) -> ContactDetails:
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
        external_id=_text(pick("external_id")),
        phones=phones_for(phones, changed="phone" in given),
    )


def _same(one: ContactDetails, other: ContactDetails) -> bool:
    return all(getattr(one, name) == getattr(other, name) for name in (*_TEXT_FIELDS, "tags")) and dict(
        one.attributes
    ) == dict(other.attributes)


def _normal_key(name: str, value: object) -> str | None:
    """A key's value as stored: emails in lower case, both stripped; blank is none."""
    if not isinstance(value, str):
        return None
    cleaned = value.strip()
    return (cleaned.lower() if name == "email" else cleaned) or None


def _label(name: str) -> str:
    return name.replace("_", " ")


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
