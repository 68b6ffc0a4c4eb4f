"""Interaction use cases: record an email, call, meeting or note on a customer; read, correct,
delete and list them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from attrs import evolve, frozen

from lana_core.domain import events
from lana_core.domain.customers import Customer
from lana_core.domain.edits import UNSET, patched
from lana_core.domain.interactions import Interaction, InteractionType
from lana_core.domain.pagination import Page, PageRequest
from lana_core.domain.policy import Action, Resource, authorize
from lana_core.domain.tenancy import Actor, TenantSettings
from lana_core.errors import NotFound
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import (
    Change,
    Kernel,
    UseCase,
    changed,
    counted_if,
    deletion,
    policy_settings,
)
from lana_core.usecases._changing import Edit, Found, change_one, create_one, in_place, plainly, removal
from lana_core.usecases.api_keys import acting_key
from lana_core.usecases.customers import load_customer, owns
from lana_core.usecases.work_access import ensure_open, under_customer

__all__ = [
    "DeleteInteractionHandler",
    "GetInteractionHandler",
    "ListInteractionsHandler",
    "RecordInteraction",
    "RecordInteractionHandler",
    "UpdateInteraction",
    "UpdateInteractionHandler",
]


@frozen(kw_only=True)
class RecordInteraction:
    """``occurred_at`` defaults to now; a past time logs a contact after the fact."""

    customer_id: UUID
    type: InteractionType
    subject: str | None = None
    content: str | None = None
    occurred_at: datetime | None = None


@frozen(kw_only=True)
class UpdateInteraction:
    """A correction of one of the customer's interactions: fields left ``UNSET`` keep their
    value (None clears the subject or the content). ``expected_version``, when given, must
    match the stored version."""

    customer_id: UUID
    interaction_id: UUID
    expected_version: int | None = None
    type: InteractionType = UNSET
    subject: str | None = UNSET
    content: str | None = UNSET
    occurred_at: datetime = UNSET


class RecordInteractionHandler(UseCase):
    """Record one contact with a customer, authored by the actor (named with the API key it
    acts with, if any); emits ``interaction.recorded``.

    Rules: the customer exists, is readable by the actor and is not archived; agents
    record only on customers they own; a subject or content is required.
    Raises ValidationError, NotFound (customer), Conflict (archived customer), PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: RecordInteraction) -> Interaction:
        now = self._now()
        interaction = Interaction.record(
            id=self._id(),
            tenant_id=actor.tenant_id,
            customer_id=command.customer_id,
            type=command.type,
            subject=command.subject,
            content=command.content,
            occurred_at=command.occurred_at,
            author_id=actor.user_id,
            now=now,
        )

        async def signed(uow: UnitOfWork, customer: Customer) -> Interaction:
            return evolve(interaction, recorded_by_api_key=await acting_key(uow, actor))

        return await create_one(
            self._kernel,
            actor,
            Resource.INTERACTION,
            now,
            under_customer(actor, command.customer_id),
            make=signed,
            store=lambda uow, created: uow.interactions.add(created),
            change=lambda created: _change(events.INTERACTION_RECORDED, created, None),
        )


class GetInteractionHandler(UseCase):
    """Read one of a customer's interactions.

    Raises NotFound (customer missing or hidden from the actor; interaction missing or of
    another customer).
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, customer_id: UUID, interaction_id: UUID) -> Interaction:
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await policy_settings(uow, actor)
            interaction, customer = await load_interaction(uow, actor, customer_id, interaction_id, settings)
            authorize(
                actor, Action.READ, Resource.INTERACTION, owned=owns(actor, customer), settings=settings
            )
            return interaction


class UpdateInteractionHandler(UseCase):
    """Correct an interaction's type, subject, content or time; emits ``interaction.updated``.

    Rules: those of recording it (a subject or content, texts free of control characters,
    a time with a zone); optimistic concurrency on ``expected_version``; the interactions
    of archived customers are read-only; agents correct only the interactions they wrote.
    Raises NotFound, Conflict (stale version, archived customer), ValidationError,
    PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: UpdateInteraction) -> Interaction:
        def edit(before: Interaction, now: datetime) -> Interaction:
            return before.edit(
                type=patched(command, before, "type"),
                subject=patched(command, before, "subject"),
                content=patched(command, before, "content"),
                occurred_at=patched(command, before, "occurred_at"),
                now=now,
            )

        return await _change_interaction(
            self._kernel,
            actor,
            command.customer_id,
            command.interaction_id,
            command.expected_version,
            edit=in_place(events.INTERACTION_UPDATED, plainly(edit), store=_update, record=_change),
        )


class DeleteInteractionHandler(UseCase):
    """Delete an interaction for good: it leaves the customer's lists, counts and timeline (a
    line says it was deleted); emits ``interaction.deleted``, whose payload is the
    interaction as it was.

    Rules: optimistic concurrency on ``expected_version``; the interactions of archived
    customers are read-only; agents delete only the interactions they wrote.
    Raises NotFound, Conflict (stale version, archived customer), PermissionDenied.
    """

    __slots__ = ()

    async def __call__(
        self, actor: Actor, customer_id: UUID, interaction_id: UUID, expected_version: int | None = None
    ) -> None:
        await _change_interaction(
            self._kernel,
            actor,
            customer_id,
            interaction_id,
            expected_version,
            edit=removal(
                _delete, lambda gone: deletion(events.INTERACTION_DELETED, "interaction", gone, customer_id)
            ),
        )


class ListInteractionsHandler(UseCase):
    """A customer's interactions, newest ``occurred_at`` first, one page at a time;
    ``with_total`` also counts them all (``Page.total``).

    Archived customers keep their history readable.
    Raises NotFound (customer missing or hidden from the actor), ValidationError (bad cursor).
    """

    __slots__ = ()

    async def __call__(
        self, actor: Actor, customer_id: UUID, page: PageRequest | None = None, *, with_total: bool = False
    ) -> Page[Interaction]:
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await policy_settings(uow, actor)
            customer = await load_customer(uow, actor, customer_id, settings)
            owned = owns(actor, customer)
            authorize(actor, Action.READ, Resource.INTERACTION, owned=owned, settings=settings)
            found = uow.interactions.list_for_customer(customer_id, page or PageRequest())
            return await counted_if(
                with_total, found, lambda: uow.interactions.count_for_customer(customer_id)
            )


async def load_interaction(
    uow: UnitOfWork, actor: Actor, customer_id: UUID, interaction_id: UUID, settings: TenantSettings
) -> tuple[Interaction, Customer]:
    """The customer's interaction, with the customer, if the actor may read the customer;
    otherwise NotFound (an interaction of another customer is not found either)."""
    customer = await load_customer(uow, actor, customer_id, settings)
    interaction = await uow.interactions.get(interaction_id)
    if interaction is None or interaction.customer_id != customer_id:
        raise NotFound("interaction", interaction_id)
    return interaction, customer


def wrote(actor: Actor, interaction: Interaction) -> bool:
    """An interaction is its author's: only the author (or a manager) may change it."""
    return interaction.author_id == actor.user_id


async def _change_interaction(
    kernel: Kernel,
    actor: Actor,
    customer_id: UUID,
    interaction_id: UUID,
    expected_version: int | None,
    *,
    edit: Edit[Interaction],
) -> Interaction:
    """:func:`change_one` for one interaction of an open customer, whose openness is checked
    before the version."""

    async def load(uow: UnitOfWork, settings: TenantSettings) -> Found[Interaction]:
        interaction, customer = await load_interaction(uow, actor, customer_id, interaction_id, settings)
        return Found(interaction, wrote(actor, interaction), lambda: ensure_open(customer), open_first=True)

    return await change_one(kernel, actor, Resource.INTERACTION, load, expected_version, edit=edit)


async def _update(uow: UnitOfWork, interaction: Interaction) -> None:
    await uow.interactions.update(interaction)


async def _delete(uow: UnitOfWork, interaction: Interaction) -> None:
    await uow.interactions.delete(interaction)


def _change(event_type: str, interaction: Interaction, before: Interaction | None) -> Change:
    return changed(event_type, "interaction", interaction, before, interaction.customer_id)
