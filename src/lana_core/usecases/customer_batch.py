"""Create many customers in one transaction: every rule of a single create, all or nothing."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from attrs import frozen

from lana_core.domain import events
from lana_core.domain.customers import ContactDetails, Customer
from lana_core.domain.policy import Action, Resource
from lana_core.domain.tenancy import Actor
from lana_core.errors import Conflict, FieldError, ValidationError
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import UseCase, authorize_in, record
from lana_core.usecases.caching import stale_namespaces
from lana_core.usecases.customers import CreateCustomer, contact_details, created_changes, resolve_owner

__all__ = ["MAX_CUSTOMERS_PER_BATCH", "CreateCustomersBatch", "CreateCustomersBatchHandler"]

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
    already taken in the tenant, refuse the whole batch. One permission check covers it.
    Raises ValidationError, Conflict, PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: CreateCustomersBatch) -> tuple[Customer, ...]:
        commands = tuple(command.customers)
        _check_size(commands)
        details = _parsed(commands)
        _refuse_repeated_emails(details)
        now = self._now()
        async with self._kernel.uow(actor.tenant_id) as uow:
            await authorize_in(uow, actor, Action.CREATE, Resource.CUSTOMER)
            owners = await _owners(uow, actor, commands)
            made = tuple(
                Customer.create(
                    id=self._id(),
                    tenant_id=actor.tenant_id,
                    details=contact,
                    value=item.value,
                    status=item.status,
                    owner_id=owner_id,
                    now=now,
                )
                for item, contact, owner_id in zip(commands, details, owners, strict=True)
            )
            await uow.customers.add_many(made)
            await record(uow, self._kernel, actor, now, *(c for one in made for c in created_changes(one)))
            await uow.commit()
        await self._kernel.cache.invalidate(actor.tenant_id, stale_namespaces([events.CUSTOMER_CREATED]))
        return made


def _check_size(commands: Sequence[CreateCustomer]) -> None:
    if not commands:
        raise ValidationError.single(_FIELD, "required", "must hold at least one customer")
    if len(commands) > MAX_CUSTOMERS_PER_BATCH:
        raise ValidationError.single(
            _FIELD, "too_many", f"at most {MAX_CUSTOMERS_PER_BATCH} customers per batch"
        )


def _parsed(commands: Sequence[CreateCustomer]) -> list[ContactDetails]:
    """Every item's contact details; raises one ValidationError naming every bad field of every item."""
    parsed: list[ContactDetails] = []
    problems: list[FieldError] = []
    for index, item in enumerate(commands):
        try:
            parsed.append(contact_details(item))
        except ValidationError as error:
            problems.extend(_of_item(index, error))
    if problems:
        raise ValidationError(problems)
    return parsed


def _refuse_repeated_emails(details: Sequence[ContactDetails]) -> None:
    first_with: dict[str, int] = {}
    for index, contact in enumerate(details):
        if contact.email is None:
            continue
        earlier = first_with.setdefault(contact.email, index)
        if earlier != index:
            raise Conflict(f"{_FIELD}[{index}].email repeats {_FIELD}[{earlier}].email")


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


def _of_item(index: int, error: ValidationError) -> list[FieldError]:
    return [FieldError(f"{_FIELD}[{index}].{e.field}", e.code, e.message) for e in error.errors]
