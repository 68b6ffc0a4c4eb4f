"""Customer use cases: create, read, edit, change status or value, archive, restore, list."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from attrs import evolve, field, frozen

from lana_core.domain import events
from lana_core.domain.customers import ContactDetails, Customer, CustomerStatus, CustomerValue, CustomerView
from lana_core.domain.edits import UNSET, patched
from lana_core.domain.pagination import Page
from lana_core.domain.policy import Action, Resource, is_allowed
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor, Role, TenantSettings
from lana_core.domain.validation import DIGITS_PHONE_FORMAT, JsonScalar, PhoneFormat
from lana_core.errors import Gone, NotFound, ValidationError
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import (
    Change,
    Kernel,
    UseCase,
    authorize_in,
    changed,
    counted_if,
    policy_settings,
    snapshot,
)
from lana_core.usecases._changing import Apply, Edit, Found, change_one, in_place, plainly

__all__ = [
    "UNSET",
    "ArchiveCustomerHandler",
    "ChangeCustomerStatus",
    "ChangeCustomerStatusHandler",
    "ChangeCustomerValue",
    "ChangeCustomerValueHandler",
    "CreateCustomer",
    "CreateCustomerHandler",
    "CustomerView",
    "GetCustomerHandler",
    "ListCustomersHandler",
    "RestoreCustomerHandler",
    "UpdateCustomer",
    "UpdateCustomerHandler",
]


@frozen(kw_only=True)
class CreateCustomer:
    name: str
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    notes: str | None = None
    value: CustomerValue = CustomerValue.MEDIUM
    status: CustomerStatus = CustomerStatus.PROSPECT
    owner_id: UUID | None = None
    tags: tuple[str, ...] = ()
    attributes: Mapping[str, JsonScalar] = field(factory=dict)
    external_id: str | None = None


@frozen(kw_only=True)
class UpdateCustomer:
    """A partial edit: fields left ``UNSET`` keep their value. ``expected_version``, when
    given, must match the stored version."""

    customer_id: UUID
    expected_version: int | None = None
    name: str = UNSET
    email: str | None = UNSET
    phone: str | None = UNSET
    company: str | None = UNSET
    notes: str | None = UNSET
    owner_id: UUID | None = UNSET
    tags: tuple[str, ...] = UNSET
    attributes: Mapping[str, JsonScalar] = UNSET
    external_id: str | None = UNSET


@frozen(kw_only=True)
class ChangeCustomerStatus:
    customer_id: UUID
    status: CustomerStatus
    expected_version: int | None = None


@frozen(kw_only=True)
class ChangeCustomerValue:
    customer_id: UUID
    value: CustomerValue
    expected_version: int | None = None


def owns(actor: Actor, customer: Customer) -> bool:
    return customer.owner_id == actor.user_id


async def load_customer(
    uow: UnitOfWork, actor: Actor, customer_id: UUID, settings: TenantSettings
) -> Customer:
    """The customer if it exists and the actor may read it; otherwise NotFound (never a hint)."""
    customer = await uow.customers.get(customer_id)
    if customer is None or not is_allowed(
        actor, Action.READ, Resource.CUSTOMER, owned=owns(actor, customer), settings=settings
    ):
        raise NotFound("customer", customer_id)
    return customer


class CreateCustomerHandler(UseCase):
    """Create a customer.

    Rules: the email is normalised and unique in the tenant; an agent's new customer is
    owned by the agent unless a manager or admin says otherwise; a HIGH-value customer
    also emits ``customer.created.high_value``.
    Raises ValidationError, Conflict (email taken), PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: CreateCustomer) -> Customer:
        details = contact_details(command, self._kernel.phones)
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            uow = unit.uow
            await authorize_in(uow, actor, Action.CREATE, Resource.CUSTOMER)
            owner_id = await resolve_owner(uow, actor, command.owner_id)
            customer = Customer.create(
                id=self._id(),
                tenant_id=actor.tenant_id,
                details=details,
                value=command.value,
                status=command.status,
                owner_id=owner_id,
                now=now,
            )
            await uow.customers.add(customer)
            await unit.record(actor, now, *created_changes(customer))
            await unit.commit()
        return customer


class GetCustomerHandler(UseCase):
    """Read one customer with its project and task stats. Raises NotFound, and Gone for a
    customer merged into another one."""

    __slots__ = ()

    async def __call__(self, actor: Actor, customer_id: UUID) -> CustomerView:
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await policy_settings(uow, actor)
            # One read for the customer and its stats: the stats are only wasted on a refusal.
            view = await uow.customers.get_view(customer_id, self._now().date())
        if view is None or not is_allowed(
            actor, Action.READ, Resource.CUSTOMER, owned=owns(actor, view.customer), settings=settings
        ):
            raise NotFound("customer", customer_id)
        if view.customer.merged_into is not None:
            raise Gone("customer", customer_id, view.customer.merged_into)
        return view


class ListCustomersHandler(UseCase):
    """List customers matching a query, one page at a time; ``with_total`` also counts every
    match (``Page.total``).

    An agent restricted to its own customers sees only those, whatever the query says.
    Raises ValidationError (bad cursor or limit, a control character in the text or tag).
    """

    __slots__ = ()

    async def __call__(
        self, actor: Actor, query: CustomerQuery, *, with_total: bool = False
    ) -> Page[Customer]:
        query = query.checked()
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await authorize_in(uow, actor, Action.READ, Resource.CUSTOMER, owned=True)
            if actor.role is Role.AGENT and settings.agents_see_only_own_customers:
                if query.owner_id not in (None, actor.user_id):
                    return Page(items=(), next_cursor=None, total=0 if with_total else None)
                query = _with_owner(query, actor.user_id)
            return await counted_if(with_total, uow.customers.list(query), lambda: uow.customers.count(query))


class UpdateCustomerHandler(UseCase):
    """Edit a customer's contact details, tags, attributes or owner.

    Rules: optimistic concurrency on ``expected_version``; archived customers are
    read-only; only managers and admins reassign an owner.
    Raises NotFound, Conflict, ValidationError, PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: UpdateCustomer) -> Customer:
        async def edit(uow: UnitOfWork, before: Customer, now: datetime) -> Customer:
            details = _patched_details(before, command, self._kernel.phones)
            owner_id = before.owner_id
            if command.owner_id is not UNSET and command.owner_id != before.owner_id:
                owner_id = await resolve_owner(uow, actor, command.owner_id, reassigning=True)
            return before.with_details(details, owner_id, now)

        return await change_customer(
            self._kernel,
            actor,
            command.customer_id,
            command.expected_version,
            _edit(events.CUSTOMER_UPDATED, edit),
        )


async def change_customer(
    kernel: Kernel, actor: Actor, customer_id: UUID, expected_version: int | None, edit: Edit[Customer]
) -> Customer:
    """:func:`change_one` for one customer."""

    async def load(uow: UnitOfWork, settings: TenantSettings) -> Found[Customer]:
        customer = await load_customer(uow, actor, customer_id, settings)
        return Found(customer, owns(actor, customer))

    return await change_one(kernel, actor, Resource.CUSTOMER, load, expected_version, edit=edit)


def _edit(event_type: str, apply: Apply[Customer], action: Action = Action.UPDATE) -> Edit[Customer]:
    return in_place(event_type, apply, store=_update, record=_change, action=action)


async def _update(uow: UnitOfWork, customer: Customer) -> None:
    await uow.customers.update(customer)


class ChangeCustomerStatusHandler(UseCase):
    """Move a customer along its lifecycle (see ``STATUS_TRANSITIONS``).

    Raises NotFound, Conflict, ValidationError (illegal move), PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: ChangeCustomerStatus) -> Customer:
        return await change_customer(
            self._kernel,
            actor,
            command.customer_id,
            command.expected_version,
            _edit(
                events.CUSTOMER_STATUS_CHANGED, plainly(lambda c, now: c.change_status(command.status, now))
            ),
        )


class ChangeCustomerValueHandler(UseCase):
    """Change a customer's value tier. Raises NotFound, Conflict, PermissionDenied."""

    __slots__ = ()

    async def __call__(self, actor: Actor, command: ChangeCustomerValue) -> Customer:
        return await change_customer(
            self._kernel,
            actor,
            command.customer_id,
            command.expected_version,
            _edit(events.CUSTOMER_VALUE_CHANGED, plainly(lambda c, now: c.change_value(command.value, now))),
        )


class ArchiveCustomerHandler(UseCase):
    """Soft-delete a customer: hidden from lists, kept for its history. Raises NotFound,
    Conflict (already archived or stale version), PermissionDenied."""

    __slots__ = ()

    async def __call__(
        self, actor: Actor, customer_id: UUID, expected_version: int | None = None
    ) -> Customer:
        archive = plainly(Customer.archive)
        return await change_customer(
            self._kernel,
            actor,
            customer_id,
            expected_version,
            _edit(events.CUSTOMER_ARCHIVED, archive, Action.DELETE),
        )


class RestoreCustomerHandler(UseCase):
    """Bring an archived customer back. Raises NotFound, Conflict, PermissionDenied."""

    __slots__ = ()

    async def __call__(
        self, actor: Actor, customer_id: UUID, expected_version: int | None = None
    ) -> Customer:
        restore = plainly(Customer.restore)
        return await change_customer(
            self._kernel, actor, customer_id, expected_version, _edit(events.CUSTOMER_RESTORED, restore)
        )


def contact_details(command: CreateCustomer, phones: PhoneFormat) -> ContactDetails:
    """The command's contact details, parsed; raises ValidationError naming each bad field."""
    return ContactDetails.parse(
        name=command.name,
        email=command.email,
        phone=command.phone,
        company=command.company,
        notes=command.notes,
        tags=command.tags,
        attributes=command.attributes,
        external_id=command.external_id,
        phones=phones,
    )


def created_changes(customer: Customer, payload_extra: Mapping[str, Any] | None = None) -> list[Change]:
    """What creating ``customer`` records: ``customer.created``, and for a HIGH-value
    customer also ``customer.created.high_value`` (kept for existing n8n workflows); each
    event's payload also carries ``payload_extra``."""
    after = snapshot(customer)  # computed once: an import records millions of these
    payload = {**after, **payload_extra} if payload_extra else None
    kinds = [events.CUSTOMER_CREATED]
    if customer.value is CustomerValue.HIGH:
        kinds.append(events.CUSTOMER_CREATED_HIGH_VALUE)
    return [
        changed(kind, "customer", customer, None, customer.id, audited=lambda _: after, payload=payload)
        for kind in kinds
    ]


async def resolve_owner(
    uow: UnitOfWork, actor: Actor, requested: UUID | None, *, reassigning: bool = False
) -> UUID | None:
    """Agents own what they create; managers and admins may name any active user of the tenant."""
    if actor.role is Role.AGENT:
        if reassigning or requested not in (None, actor.user_id):
            raise ValidationError.single(
                "owner_id", "not_allowed", "agents cannot assign customers to others"
            )
        return actor.user_id
    if requested is None:
        return None
    owner = await uow.users.get(requested)
    if owner is None or not owner.active:
        raise ValidationError.single("owner_id", "unknown_user", "must be an active user of this tenant")
    return requested


def phones_for(phones: PhoneFormat, *, changed: bool) -> PhoneFormat:
    """``phones`` for a phone number being set; a stored one not being changed is kept as it
    is, so a number stored under an earlier rule never blocks an edit of another field."""
    return phones if changed else DIGITS_PHONE_FORMAT


def _patched_details(before: Customer, command: UpdateCustomer, phones: PhoneFormat) -> ContactDetails:
    current = before.details()
    return ContactDetails.parse(
        name=patched(command, current, "name"),
        email=patched(command, current, "email"),
        phone=patched(command, current, "phone"),
        company=patched(command, current, "company"),
        notes=patched(command, current, "notes"),
        tags=patched(command, current, "tags"),
        attributes=patched(command, current, "attributes"),
        external_id=patched(command, current, "external_id"),
        phones=phones_for(phones, changed=command.phone is not UNSET),
    )


def _with_owner(query: CustomerQuery, owner_id: UUID) -> CustomerQuery:
    return evolve(query, owner_id=owner_id)


def _change(event_type: str, customer: Customer, before: Customer | None) -> Change:
    return changed(event_type, "customer", customer, before, customer.id)
