"""Interaction use cases: record an email, call, meeting or note on a customer; list them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from attrs import frozen

from lana_core.domain import events
from lana_core.domain.interactions import Interaction, InteractionType
from lana_core.domain.pagination import Page, PageRequest
from lana_core.domain.policy import Action, Resource, authorize
from lana_core.domain.tenancy import Actor
from lana_core.usecases._base import Change, UseCase, authorize_in, policy_settings, record, snapshot
from lana_core.usecases.caching import stale_namespaces
from lana_core.usecases.customers import load_customer, owns
from lana_core.usecases.work_access import ensure_open

__all__ = [
    "ListInteractionsHandler",
    "RecordInteraction",
    "RecordInteractionHandler",
]


@frozen(kw_only=True)
class RecordInteraction:
    """``occurred_at`` defaults to now; a past time logs a contact after the fact."""

    customer_id: UUID
    type: InteractionType
    subject: str | None = None
    content: str | None = None
    occurred_at: datetime | None = None


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
            await record(uow, self._kernel, actor, now, _change(interaction))
            await uow.commit()
        await self._kernel.cache.invalidate(actor.tenant_id, stale_namespaces([events.INTERACTION_RECORDED]))
        return interaction


class ListInteractionsHandler(UseCase):
    """A customer's interactions, newest ``occurred_at`` first, one page at a time.

    Archived customers keep their history readable.
    Raises NotFound (customer missing or hidden from the actor), ValidationError (bad cursor).
    """

    __slots__ = ()

    async def __call__(
        self, actor: Actor, customer_id: UUID, page: PageRequest | None = None
    ) -> Page[Interaction]:
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await policy_settings(uow, actor)
            customer = await load_customer(uow, actor, customer_id, settings)
            owned = owns(actor, customer)
            authorize(actor, Action.READ, Resource.INTERACTION, owned=owned, settings=settings)
            return await uow.interactions.list_for_customer(customer_id, page or PageRequest())


def _change(interaction: Interaction) -> Change:
    return Change(
        event_type=events.INTERACTION_RECORDED,
        aggregate_type="interaction",
        aggregate_id=interaction.id,
        aggregate_version=1,
        customer_id=interaction.customer_id,
        before=None,
        after=snapshot(interaction),
    )
