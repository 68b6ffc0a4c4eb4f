"""Interaction use cases: record an email, call, meeting or note on a customer; read, correct,
delete and list them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from attrs import evolve, frozen

from lana_core.domain import events
from lana_core.domain.customers import Customer
from lana_core.domain.interactions import Interaction, InteractionType
from lana_core.domain.pagination import Page, PageRequest
from lana_core.domain.policy import Action, Resource, authorize
from lana_core.domain.tenancy import Actor, TenantSettings
from lana_core.errors import NotFound
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import (
    Change,
    UseCase,
    authorize_in,
    deletion,
    policy_settings,
    record,
    snapshot,
)
from lana_core.usecases.caching import stale_namespaces
from lana_core.usecases.customers import UNSET, load_customer, owns
from lana_core.usecases.work_access import ensure_open, patched

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
    """Record one contact with a customer, authored by the actor; emits ``interaction.recorded``.

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
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await authorize_in(uow, actor, Action.CREATE, Resource.INTERACTION, owned=True)
            customer = await load_customer(uow, actor, command.customer_id, settings)
            owned = owns(actor, customer)
            authorize(actor, Action.CREATE, Resource.INTERACTION, owned=owned, settings=settings)
            ensure_open(customer)
            await uow.interactions.add(interaction)
            await record(
                uow, self._kernel, actor, now, _change(events.INTERACTION_RECORDED, interaction, None)
            )
            await uow.commit()
        await self._kernel.cache.invalidate(actor.tenant_id, stale_namespaces([events.INTERACTION_RECORDED]))
        return interaction


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
        now = self._now()
        async with self._kernel.uow(actor.tenant_id) as uow:
            before, _ = await _load_to_change(
                uow, actor, command.customer_id, command.interaction_id, Action.UPDATE
            )
            before.check_version(command.expected_version)
            after = before.edit(
                type=patched(command, before, "type"),
                subject=patched(command, before, "subject"),
                content=patched(command, before, "content"),
                occurred_at=patched(command, before, "occurred_at"),
                now=now,
            )
            await uow.interactions.update(after)
            await record(uow, self._kernel, actor, now, _change(events.INTERACTION_UPDATED, after, before))
            await uow.commit()
        await self._kernel.cache.invalidate(actor.tenant_id, stale_namespaces([events.INTERACTION_UPDATED]))
        return after


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
        now = self._now()
        async with self._kernel.uow(actor.tenant_id) as uow:
            interaction, _ = await _load_to_change(uow, actor, customer_id, interaction_id, Action.DELETE)
            interaction.check_version(expected_version)
            await uow.interactions.delete(interaction)
            change = deletion(events.INTERACTION_DELETED, "interaction", interaction, customer_id)
            await record(uow, self._kernel, actor, now, change)
            await uow.commit()
        await self._kernel.cache.invalidate(actor.tenant_id, stale_namespaces([events.INTERACTION_DELETED]))


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
            found = await uow.interactions.list_for_customer(customer_id, page or PageRequest())
            if with_total:
                found = evolve(found, total=await uow.interactions.count_for_customer(customer_id))
            return found


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


async def _load_to_change(
    uow: UnitOfWork, actor: Actor, customer_id: UUID, interaction_id: UUID, action: Action
) -> tuple[Interaction, Customer]:
    settings = await policy_settings(uow, actor)
    interaction, customer = await load_interaction(uow, actor, customer_id, interaction_id, settings)
    authorize(actor, action, Resource.INTERACTION, owned=wrote(actor, interaction), settings=settings)
    ensure_open(customer)
    return interaction, customer


def _change(event_type: str, interaction: Interaction, before: Interaction | None) -> Change:
    return Change(
        event_type=event_type,
        aggregate_type="interaction",
        aggregate_id=interaction.id,
        aggregate_version=interaction.version,
        customer_id=interaction.customer_id,
        before=None if before is None else snapshot(before),
        after=snapshot(interaction),
    )
