"""Tenant-wide figures of the CRM's work: the tasks open and overdue, and the interactions
logged per day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

from attrs import frozen

from lana_core.domain.analytics import InteractionDay, TaskCounts
from lana_core.domain.policy import Resource
from lana_core.domain.tenancy import Actor
from lana_core.errors import ValidationError
from lana_core.ports import CacheKey
from lana_core.usecases._base import UseCase, authorize_read
from lana_core.usecases.caching import DASHBOARD

__all__ = [
    "FIGURES_TTL_SECONDS",
    "INTERACTION_DAYS",
    "MAX_INTERACTION_DAYS",
    "GetInteractionsPerDayHandler",
    "GetTaskCountsHandler",
    "InteractionsPerDay",
]

# Task and interaction changes drop these with the dashboard, so the TTL only bounds how long
# "overdue" and the window lag behind the calendar.
FIGURES_TTL_SECONDS = 60.0
INTERACTION_DAYS = 30
MAX_INTERACTION_DAYS = 366


@frozen(kw_only=True)
class InteractionsPerDay:
    """Every UTC day from ``first_day`` to ``last_day`` (days without interactions as zero)."""

    first_day: date
    last_day: date
    days: Sequence[InteractionDay]

    @property
    def by_type(self) -> Mapping[str, int]:
        """The window's interactions per type."""
        totals: dict[str, int] = {}
        for day in self.days:
            for kind, count in day.by_type.items():
                totals[kind] = totals.get(kind, 0) + count
        return totals

    @property
    def total(self) -> int:
        return sum(day.total for day in self.days)


class GetTaskCountsHandler(UseCase):
    """The tenant's tasks in live projects of live customers: open, overdue (open and due
    before today, UTC) and completed, whoever they are assigned to.

    Tenant-wide aggregates like the dashboard's, so any role that may read analytics may read
    them; cached for up to a minute (task, project and customer changes drop them).
    Raises PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor) -> TaskCounts:
        await authorize_read(self._kernel, actor, Resource.ANALYTICS)
        today = self._now().date()

        async def count() -> TaskCounts:
            async with self._kernel.uow(actor.tenant_id) as uow:
                return await uow.tasks.counts(today)

        key = CacheKey(actor.tenant_id, DASHBOARD, f"tasks:{today.isoformat()}")
        return await self._kernel.cache.get_or_compute(key, TaskCounts, count, FIGURES_TTL_SECONDS)


class GetInteractionsPerDayHandler(UseCase):
    """The tenant's interactions (calls, emails, meetings, notes) per UTC day and type over the
    last ``days`` days, today included, by when they occurred; empty days as zero.

    Tenant-wide aggregates like the dashboard's, so any role that may read analytics may read
    them; cached for up to a minute (interaction and customer changes drop them).
    Raises ValidationError (field ``days``: not between 1 and 366), PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, days: int = INTERACTION_DAYS) -> InteractionsPerDay:
        if not 1 <= days <= MAX_INTERACTION_DAYS:
            raise ValidationError.single(
                "days", "out_of_range", f"must be between 1 and {MAX_INTERACTION_DAYS}"
            )
        await authorize_read(self._kernel, actor, Resource.ANALYTICS)
        last = self._now().astimezone(UTC).date()
        first = last - timedelta(days=days - 1)

        async def count() -> InteractionsPerDay:
            async with self._kernel.uow(actor.tenant_id) as uow:
                found = await uow.interactions.per_day(_midnight(first), _midnight(last + timedelta(days=1)))
            return InteractionsPerDay(first_day=first, last_day=last, days=_every_day(found, first, last))

        key = CacheKey(actor.tenant_id, DASHBOARD, f"interactions:{first.isoformat()}:{days}")
        return await self._kernel.cache.get_or_compute(key, InteractionsPerDay, count, FIGURES_TTL_SECONDS)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _every_day(found: Sequence[InteractionDay], first: date, last: date) -> tuple[InteractionDay, ...]:
    by_day = {day.day: day for day in found}
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return tuple(by_day.get(day) or InteractionDay.none_on(day) for day in days)
