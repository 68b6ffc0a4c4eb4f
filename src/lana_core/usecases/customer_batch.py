"""Create many customers in one transaction: every rule of a single create, all or nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from attrs import frozen

from lana_core.domain.customers import ContactDetails, Customer
from lana_core.domain.policy import Action, Resource
from lana_core.domain.tenancy import Actor
from lana_core.domain.validation import PhoneFormat
from lana_core.errors import Conflict, FieldError, ValidationError
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import Kernel, UseCase, authorize_in
from lana_core.usecases._unit import ChangeUnit
from lana_core.usecases.customers import CreateCustomer, contact_details, created_changes, resolve_owner

__all__ = [
    "MAX_CUSTOMERS_PER_BATCH",
    "CreateCustomersBatch",
    "CreateCustomersBatchHandler",
    "add_customers",
]

# Large enough for an import's natural chunk, small enough that one transaction stays short.
MAX_CUSTOMERS_PER_BATCH = 1_000
_FIELD = "customers"


@frozen(kw_only=True)
class CreateCustomersBatch:
    customers: Sequence[CreateCustomer]


class CreateCustomersBatchHandler(UseCase):
    """Create 1 to ``MAX_CUSTOMERS_PER_BATCH`` customers, all or none.

    Rules: each item follows :class:`~lana_core.usecases.customers.CreateCustomerHandler`'s
    rules (normalised unique email, agents own what they create, HIGH value also emits
    ``customer.created.high_value``); every item is checked before anything is stored and
    errors name the item as ``customers[i].field``; two items with one email, or an email
    already taken in the tenant (by an archived customer too), refuse the whole batch with
    a Conflict whose ``errors`` name every such ``customers[i].email``. One permission
    check covers it.
    Raises ValidationError, Conflict, PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: CreateCustomersBatch) -> tuple[Customer, ...]:
        commands = tuple(command.customers)
        _check_size(commands)
        details = _parsed(commands, self._kernel.phones)
        _refuse_repeated_emails(details)
        try:
            made = await self._create(actor, commands, details)
        except Conflict as clash:
            # Only a failed batch pays for finding which emails were taken.
            await self._name_taken_emails(actor, details, clash)
            raise
        return made

    async def _create(
        self, actor: Actor, commands: Sequence[CreateCustomer], details: Sequence[ContactDetails]
    ) -> tuple[Customer, ...]:
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            await authorize_in(unit.uow, actor, Action.CREATE, Resource.CUSTOMER)
            made = await add_customers(unit, self._kernel, actor, commands, details, now=now)
            await unit.commit()
        return made

    async def _name_taken_emails(
        self, actor: Actor, details: Sequence[ContactDetails], clash: Conflict
    ) -> None:
        """Raise a Conflict naming each item whose email the tenant has; return when none is
        (the clash was about something else, or the email was given up meanwhile)."""
        index_of = {contact.email: index for index, contact in enumerate(details) if contact.email}
        async with self._kernel.uow(actor.tenant_id) as uow:
            taken = await uow.customers.emails_taken(index_of.keys())
        if not taken:
            return
        indexes = sorted(index_of[email] for email in taken)
        errors = [FieldError(_email(i), "taken", "a customer of this tenant has this email") for i in indexes]
        message = "; ".join(f"{_email(i)} is taken by another customer" for i in indexes)
        raise Conflict(message, errors) from clash


async def add_customers(
    unit: ChangeUnit,
    kernel: Kernel,
    actor: Actor,
    commands: Sequence[CreateCustomer],
    details: Sequence[ContactDetails],
    *,
    now: datetime,
    payload_extra: Mapping[str, Any] | None = None,
) -> tuple[Customer, ...]:
    """Create the customers of ``commands`` (with their parsed ``details``) in ``unit``, the
    caller having checked the permission to create; each event's payload also carries
    ``payload_extra``. Raises ValidationError (owners), Conflict (emails)."""
    owners = await _owners(unit.uow, actor, commands)
    made = tuple(
        Customer.create(
            id=kernel.ids.new_id(),
            tenant_id=actor.tenant_id,
            details=contact,
            value=item.value,
            status=item.status,
            owner_id=owner_id,
            now=now,
        )
        for item, contact, owner_id in zip(commands, details, owners, strict=True)
    )
    await unit.uow.customers.add_many(made)
    changes = [c for one in made for c in created_changes(one, payload_extra)]
    await unit.record(actor, now, *changes)
    return made


def _check_size(commands: Sequence[CreateCustomer]) -> None:
    if not commands:
        raise ValidationError.single(_FIELD, "required", "must hold at least one customer")
    if len(commands) > MAX_CUSTOMERS_PER_BATCH:
        raise ValidationError.single(
            _FIELD, "too_many", f"at most {MAX_CUSTOMERS_PER_BATCH} customers per batch"
        )


def _parsed(commands: Sequence[CreateCustomer], phones: PhoneFormat) -> list[ContactDetails]:
    """Every item's contact details; raises one ValidationError naming every bad field of every item."""
    parsed: list[ContactDetails] = []
    problems: list[FieldError] = []
    for index, item in enumerate(commands):
        try:
            parsed.append(contact_details(item, phones))
        except ValidationError as error:
            problems.extend(_of_item(index, error))
    if problems:
        raise ValidationError(problems)
    return parsed


def _refuse_repeated_emails(details: Sequence[ContactDetails]) -> None:
    """Raise a Conflict naming every item whose email another item has too."""
    holders: dict[str, list[int]] = {}
    for index, contact in enumerate(details):
        if contact.email is not None:
            holders.setdefault(contact.email, []).append(index)
    groups = [indexes for indexes in holders.values() if len(indexes) > 1]
    if not groups:
        return
    named = sorted((i, [_email(j) for j in group if j != i]) for group in groups for i in group)
    errors = [FieldError(_email(i), "repeated", f"also given in {', '.join(others)}") for i, others in named]
    message = "; ".join(
        f"{_email(later)} repeats {_email(group[0])}" for group in groups for later in group[1:]
    )
    raise Conflict(message, errors)


async def _owners(uow: UnitOfWork, actor: Actor, commands: Sequence[CreateCustomer]) -> list[UUID | None]:
    """Each item's owner by the single create's rules, each distinct user looked up once;
    raises one ValidationError naming every refused ``customers[i].owner_id``."""
    resolved: dict[UUID | None, UUID | ValidationError | None] = {}
    owners: list[UUID | None] = []
    problems: list[FieldError] = []
    for index, item in enumerate(commands):
        if item.owner_id not in resolved:
            try:
                resolved[item.owner_id] = await resolve_owner(uow, actor, item.owner_id)
            except ValidationError as error:
                resolved[item.owner_id] = error
        outcome = resolved[item.owner_id]
        if isinstance(outcome, ValidationError):
            problems.extend(_of_item(index, outcome))
            owners.append(None)
        else:
            owners.append(outcome)
    if problems:
        raise ValidationError(problems)
    return owners


def _email(index: int) -> str:
    return f"{_FIELD}[{index}].email"


def _of_item(index: int, error: ValidationError) -> list[FieldError]:
    return [FieldError(f"{_FIELD}[{index}].{e.field}", e.code, e.message) for e in error.errors]
