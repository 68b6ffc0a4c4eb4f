"""Find likely duplicate customers, and merge duplicates into the customer that stays.

Merge rules (docs/api.md, "Duplicates and merge"):

- The kept customer keeps its name, email, status, value and version history; its phone,
  company, notes and owner, when empty, are filled from the merged customers in the order
  given; its tags become the union of all; its attributes keep their values and
  gain the keys only merged customers have (the first merged customer giving a key wins).
- The projects (with their tasks), interactions and insights of the merged customers move
  to the kept one. Audit entries and analytics stay as they were written: they are history.
- Each merged customer becomes a tombstone: archived, ``merged_into`` the kept one, never
  changed again; reading it answers Gone.
- One ``customer.merged`` event and one audit entry, on the kept customer, record it all;
  everything is written in one transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TypeVar
from uuid import UUID

from attrs import frozen

from lana_core.domain import events
from lana_core.domain.customers import ContactDetails, Customer
from lana_core.domain.duplicates import DuplicatePair, DuplicateScan, find_pairs, page_of_pairs
from lana_core.domain.pagination import Page, PageRequest
from lana_core.domain.policy import Action, Resource, authorize
from lana_core.domain.tenancy import Actor, TenantSettings
from lana_core.errors import Conflict, ValidationError
from lana_core.ports import CacheKey, UnitOfWork
from lana_core.usecases._base import UseCase, authorize_in, policy_settings
from lana_core.usecases._recording import Change, snapshot
from lana_core.usecases.caching import DUPLICATES
from lana_core.usecases.customers import load_customer, owns

__all__ = [
    "DUPLICATES_TTL_SECONDS",
    "MAX_MERGED_PER_CALL",
    "FindDuplicateCustomersHandler",
    "MergeCustomers",
    "MergeCustomersHandler",
]

# A merge rewrites every record of each merged customer in one transaction: keep it short.
MAX_MERGED_PER_CALL = 50
_FIELD = "merge_ids"
# A scan's pairs are kept for its later pages. Every change to a customer drops them (their
# events invalidate the namespace), so the TTL only bounds an invalidation the cache missed.
DUPLICATES_TTL_SECONDS = 600.0
_SCAN_SCHEMA = 1
_T = TypeVar("_T")


class FindDuplicateCustomersHandler(UseCase):
    """Pairs of live customers that are likely one, highest score first, one page at a time
    (see :mod:`lana_core.domain.duplicates` for the reasons and the score).

    Finding duplicates reads every customer of the tenant, so only those who may change any
    customer (managers and admins) may ask. The pairs are computed once and kept in the
    cache for the later pages until a customer changes. Raises PermissionDenied,
    ValidationError (cursor).
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, page: PageRequest) -> Page[DuplicatePair]:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await authorize_in(uow, actor, Action.UPDATE, Resource.CUSTOMER)
        key = CacheKey(actor.tenant_id, DUPLICATES, "pairs", _SCAN_SCHEMA)
        scan = await self._kernel.cache.get_or_compute(
            key, DuplicateScan, lambda: self._scan(actor), DUPLICATES_TTL_SECONDS
        )
        return page_of_pairs(scan.pairs, page)

    async def _scan(self, actor: Actor) -> DuplicateScan:
        async with self._kernel.uow(actor.tenant_id) as uow:
            keys = await uow.customers.match_keys()
        # Seconds of CPU on a large tenant: off the event loop, so other requests go on.
        pairs = await asyncio.to_thread(find_pairs, keys)
        return DuplicateScan(tuple(pairs))


@frozen(kw_only=True)
class MergeCustomers:
    customer_id: UUID
    merge_ids: Sequence[UUID]
    expected_version: int | None = None


class MergeCustomersHandler(UseCase):
    """Merge ``merge_ids`` into ``customer_id`` by the rules of this module, all or nothing.

    The actor must be allowed to update every customer involved (an agent: owns them all).
    Raises ValidationError (no ids, too many, the kept one among them, merged fields over a
    limit), NotFound, PermissionDenied, StaleVersion (``expected_version``), Conflict (an
    archived or merged customer involved).
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, command: MergeCustomers) -> Customer:
        merge_ids = _checked_ids(command)
        now = self._now()
        async with self._kernel.change(actor.tenant_id) as unit:
            uow = unit.uow
            settings = await policy_settings(uow, actor)
            kept = await _live(uow, actor, command.customer_id, settings)
            merged = [await _live(uow, actor, one, settings) for one in merge_ids]
            owned = all(owns(actor, one) for one in (kept, *merged))
            authorize(actor, Action.UPDATE, Resource.CUSTOMER, owned=owned, settings=settings)
            kept.check_version(command.expected_version)
            result = kept.with_details(_combined(kept, merged), _owner(kept, merged), now)
            for one in merged:
                await uow.customers.update(one.merge_into(kept.id, now))
            await uow.customers.update(result)
            await uow.customers.move_related(merge_ids, kept.id, now)
            await unit.record(actor, now, _merge_change(kept, result, merge_ids))
            await unit.commit()
        return result


def _checked_ids(command: MergeCustomers) -> list[UUID]:
    ids = list(dict.fromkeys(command.merge_ids))
    if not ids:
        raise ValidationError.single(_FIELD, "required", "must name at least one customer")
    if len(ids) > MAX_MERGED_PER_CALL:
        raise ValidationError.single(_FIELD, "too_many", f"at most {MAX_MERGED_PER_CALL} customers")
    if command.customer_id in ids:
        raise ValidationError.single(_FIELD, "includes_kept", "must not name the customer that stays")
    return ids


async def _live(uow: UnitOfWork, actor: Actor, customer_id: UUID, settings: TenantSettings) -> Customer:
    """The customer, refused unless the actor may read it (NotFound, never a hint) and it is
    neither archived nor merged."""
    customer = await load_customer(uow, actor, customer_id, settings)
    if customer.merged_into is not None:
        raise Conflict(f"customer {customer_id} was already merged into customer {customer.merged_into}")
    if customer.is_archived:
        raise Conflict(f"customer {customer_id} is archived; restore it before merging")
    return customer


def _combined(kept: Customer, merged: Sequence[Customer]) -> ContactDetails:
    """The kept customer's details with the gaps filled from ``merged`` (rules above),
    validated again: a union can exceed a limit (tags, attributes)."""
    attributes = dict(kept.attributes)
    tags = list(kept.tags)
    for one in merged:
        for key, value in one.attributes.items():
            attributes.setdefault(key, value)
        tags.extend(tag for tag in one.tags if tag not in tags)
    return ContactDetails.parse(
        name=kept.name,
        email=kept.email,
        phone=_first(kept.phone, *(one.phone for one in merged)),
        company=_first(kept.company, *(one.company for one in merged)),
        notes=_first(kept.notes, *(one.notes for one in merged)),
        tags=tags,
        attributes=attributes,
        external_id=kept.external_id,
    )


def _owner(kept: Customer, merged: Sequence[Customer]) -> UUID | None:
    return _first(kept.owner_id, *(one.owner_id for one in merged))


def _first(*values: _T | None) -> _T | None:
    return next((value for value in values if value is not None), None)


def _merge_change(before: Customer, after: Customer, merge_ids: Sequence[UUID]) -> Change:
    """The event carries the kept customer as it is now and the ids merged into it; the audit
    entry, what changed of the kept customer and which ids were merged."""
    return Change(
        event_type=events.CUSTOMER_MERGED,
        aggregate_type="customer",
        aggregate_id=after.id,
        aggregate_version=after.version,
        customer_id=after.id,
        before={**snapshot(before), "merged_ids": []},
        after={**snapshot(after), "merged_ids": [str(one) for one in merge_ids]},
    )
