"""A customer's timeline: its recorded changes and its interactions, newest first, page by page."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from uuid import UUID

from attrs import frozen

from lana_core.domain import events
from lana_core.domain.api_keys import ApiKeyRef
from lana_core.domain.audit import AuditEntry, FieldChange
from lana_core.domain.choices import Choice
from lana_core.domain.interactions import Interaction
from lana_core.domain.pagination import MAX_LIMIT, Cursor, Page, PageRequest, page_of
from lana_core.domain.policy import Action, Resource, authorize
from lana_core.domain.tenancy import Actor
from lana_core.errors import ValidationError
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import UseCase, policy_settings
from lana_core.usecases.customers import load_customer, owns

__all__ = [
    "DEFAULT_TIMELINE_LIMIT",
    "GetTimelineHandler",
    "TimelineEntry",
    "TimelineKind",
]

DEFAULT_TIMELINE_LIMIT = 50
_SUMMARY_LENGTH = 120


class TimelineKind(Choice, field="kind"):
    AUDIT = "audit"
    INTERACTION = "interaction"


@frozen(kw_only=True)
class TimelineEntry:
    """One line of a customer's history: a recorded change (``changes``) or a contact
    (``interaction``). ``actor_id`` is who made the change (a user, or the API key that made
    it) or authored the contact (a user); ``api_key`` names the API key the change was made or
    the contact recorded with, if any."""

    id: UUID
    occurred_at: datetime
    kind: TimelineKind
    action: str
    summary: str
    actor_id: UUID | None
    aggregate_type: str
    aggregate_id: UUID
    changes: tuple[FieldChange, ...] = ()
    interaction: Interaction | None = None
    api_key: ApiKeyRef | None = None

    @classmethod
    def of_audit(cls, entry: AuditEntry, key_names: Mapping[UUID, str]) -> TimelineEntry:
        """The entry of a recorded change; ``key_names`` are the names of the API keys among
        the actors of the page."""
        return cls(
            id=entry.id,
            occurred_at=entry.occurred_at,
            kind=TimelineKind.AUDIT,
            action=entry.action,
            summary=audit_summary(entry),
            actor_id=entry.actor_id,
            aggregate_type=entry.aggregate_type,
            aggregate_id=entry.aggregate_id,
            changes=entry.changes,
            api_key=_key_named(entry.actor_id, key_names),
        )

    @classmethod
    def of_interaction(cls, interaction: Interaction) -> TimelineEntry:
        return cls(
            id=interaction.id,
            occurred_at=interaction.occurred_at,
            kind=TimelineKind.INTERACTION,
            action=events.INTERACTION_RECORDED,
            summary=interaction_summary(interaction),
            actor_id=interaction.author_id,
            aggregate_type="interaction",
            aggregate_id=interaction.id,
            interaction=interaction,
            api_key=interaction.recorded_by_api_key,
        )


class GetTimelineHandler(UseCase):
    """A customer's history, newest first, one page at a time.

    Merges the audit entries about the customer, its projects and tasks with the
    customer's interactions; an interaction stands for its own audit entries, and a
    deleted one leaves the entry of its deletion. Entries at the same instant are ordered
    by id, so the same history always reads the same, and a cursor is the (time, id) of
    a page's last entry: entries added later never repeat or hide entries of the pages
    still to read (a new change comes first, before every cursor; a contact logged after
    the fact shows on the pages past its time).
    Raises NotFound (customer missing or hidden from the actor), ValidationError (field
    ``limit``: not between 1 and 200).
    """

    __slots__ = ()

    async def __call__(
        self, actor: Actor, customer_id: UUID, page: PageRequest | None = None
    ) -> Page[TimelineEntry]:
        page = page or PageRequest(limit=DEFAULT_TIMELINE_LIMIT)
        _check_limit(page.limit)
        wanted = page.limit + 1  # one more than the page tells whether another follows
        async with self._kernel.uow(actor.tenant_id) as uow:
            settings = await policy_settings(uow, actor)
            customer = await load_customer(uow, actor, customer_id, settings)
            owned = owns(actor, customer)
            authorize(actor, Action.READ, Resource.INTERACTION, owned=owned, settings=settings)
            changes = await _changes(uow, customer_id, wanted, page.after)
            contacts = await uow.interactions.list_for_customer(
                customer_id, PageRequest(limit=wanted, after=page.after)
            )
            key_names = await uow.api_keys.names({e.actor_id for e in changes if e.actor_id is not None})
        entries = [TimelineEntry.of_audit(e, key_names) for e in changes]
        entries += [TimelineEntry.of_interaction(i) for i in contacts.items]
        entries.sort(key=lambda entry: (entry.occurred_at, entry.id), reverse=True)
        return page_of(entries, page.limit, lambda entry: entry.occurred_at)


def _key_named(actor_id: UUID | None, key_names: Mapping[UUID, str]) -> ApiKeyRef | None:
    if actor_id is None or actor_id not in key_names:
        return None
    return ApiKeyRef(actor_id, key_names[actor_id])


def _check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError.single("limit", "out_of_range", f"must be between 1 and {MAX_LIMIT}")


async def _changes(uow: UnitOfWork, customer_id: UUID, limit: int, after: Cursor | None) -> list[AuditEntry]:
    """The newest ``limit`` audit entries past ``after`` that stand alone (see :func:`_stands_alone`).

    The audit log cannot filter by aggregate type, so a customer with many recent
    interactions needs a longer read to find ``limit`` other entries.
    """
    size = limit
    while True:
        entries = await uow.audit.list_for_customer(customer_id, size, after=after)
        kept = [entry for entry in entries if _stands_alone(entry)]
        if len(kept) >= limit or len(entries) < size:
            return kept[:limit]
        size *= 2


def _stands_alone(entry: AuditEntry) -> bool:
    """Whether an audit entry is a line of the timeline: the entries about an interaction are
    told by the interaction itself while it exists."""
    return entry.aggregate_type != "interaction" or entry.action == events.INTERACTION_DELETED


def audit_summary(entry: AuditEntry) -> str:
    """A sentence for people: 'Project status changed from todo to in_progress'."""
    noun, _, verb = entry.action.partition(".")
    label = f"{noun.replace('_', ' ').capitalize()} {verb.replace('.', ' ').replace('_', ' ')}".strip()
    changed = {change.field: change for change in entry.changes}
    for name in ("status", "value"):
        if verb == f"{name}_changed" and name in changed:
            return f"{label} from {changed[name].old} to {changed[name].new}"
    if verb == "created":
        named = changed.get("name") or changed.get("title")
        return label if named is None else f"{label}: {named.new}"
    if verb == "updated" and changed:
        return f"{label}: {', '.join(changed)}"
    return label


def interaction_summary(interaction: Interaction) -> str:
    """The contact's type and subject (or the start of its content): 'Call: Quarterly review'."""
    text = interaction.subject or interaction.content or ""
    if len(text) > _SUMMARY_LENGTH:
        text = text[: _SUMMARY_LENGTH - 1].rstrip() + "…"
    return f"{interaction.type.value.capitalize()}: {text}"
