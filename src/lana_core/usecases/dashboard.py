"""The CRM dashboard: the tenant's customer and project figures at a glance, and today's
product activity, live."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import attrs

from lana_core.domain.analytics import (
    Dashboard,
    DayActivity,
    DayCount,
    EventCount,
    TimeBucket,
    conversion_rate,
)
from lana_core.domain.policy import Resource
from lana_core.domain.tenancy import Actor
from lana_core.ports import CacheKey
from lana_core.usecases._activity import day_activity_in
from lana_core.usecases._base import UseCase, authorize_read
from lana_core.usecases.caching import ANALYTICS, DASHBOARD

__all__ = ["DASHBOARD_TTL_SECONDS", "NEW_CUSTOMER_DAYS", "TOP_EVENTS_TODAY", "GetDashboardHandler"]

# Writes to customers and projects drop the cached dashboard, so the TTL only bounds how
# long "overdue" and the per-day window lag behind the calendar.
DASHBOARD_TTL_SECONDS = 60.0
NEW_CUSTOMER_DAYS = 30
TOP_EVENTS_TODAY = 5
# Today's figures read from the store live in the analytics namespace, which every ingest
# and every domain change drops after commit: the TTL only bounds the turn of the day.
TODAY_TTL_SECONDS = 60.0
# The cached part's shape: 2 since the today figures were added (they are overlaid, not cached).
_SUMMARY_SCHEMA = 2


class GetDashboardHandler(UseCase):
    """The tenant's dashboard: customers by status and value, projects by status, active and
    overdue projects, new customers per day over the last 30 days (today included, empty
    days as zero), the prospect-to-active conversion rate, and today's analytics events:
    the total, per hour up to now and the 5 most frequent names.

    The CRM figures are cached for up to a minute (writes drop them); today's figures are
    read live from the activity counters, or from the analytics store when they do not know.
    Figures are tenant-wide aggregates, so any role that may read analytics may read them.
    Raises PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor) -> Dashboard:
        await authorize_read(self._kernel, actor, Resource.ANALYTICS)
        day = self._now().date()
        key = CacheKey(actor.tenant_id, DASHBOARD, "summary", _SUMMARY_SCHEMA)
        # The cached part and the live counts are separate round trips: make them together.
        cached = self._kernel.cache.get_or_compute(
            key, Dashboard, lambda: self._compute(actor), DASHBOARD_TTL_SECONDS
        )
        summary, counted = await asyncio.gather(cached, self._kernel.counters.activity(actor.tenant_id, day))
        today = await self._today(actor, day, counted)
        return _with_today(summary, today, self._now())

    async def _today(self, actor: Actor, day: date, counted: DayActivity | None) -> DayActivity:
        if counted is not None:
            return counted

        async def from_store() -> DayActivity:
            async with self._kernel.uow(actor.tenant_id) as uow:
                return await day_activity_in(uow.analytics, day, TOP_EVENTS_TODAY)

        key = CacheKey(actor.tenant_id, ANALYTICS, f"today:{day.isoformat()}")
        return await self._kernel.cache.get_or_compute(key, DayActivity, from_store, TODAY_TTL_SECONDS)

    async def _compute(self, actor: Actor) -> Dashboard:
        now = self._now()
        today = now.date()
        first_day = today - timedelta(days=NEW_CUSTOMER_DAYS - 1)
        async with self._kernel.uow(actor.tenant_id) as uow:
            customers = await uow.customers.counts()
            projects = await uow.projects.counts(today)
            per_day = await uow.customers.created_per_day(datetime.combine(first_day, time(), tzinfo=UTC))
        return Dashboard(
            total_customers=customers.total,
            customers_by_status=customers.by_status,
            customers_by_value=customers.by_value,
            high_value_customers=customers.by_value.get("high", 0),
            total_projects=projects.total,
            projects_by_status=projects.by_status,
            active_projects=projects.by_status.get("in_progress", 0),
            overdue_projects=projects.overdue,
            new_customers_per_day=_every_day(per_day, first_day, today),
            conversion_rate=conversion_rate(customers),
            generated_at=now,
        )


def _with_today(summary: Dashboard, activity: DayActivity, now: datetime) -> Dashboard:
    midnight = datetime.combine(activity.day, time(), tzinfo=UTC)
    hours = range(now.astimezone(UTC).hour + 1)
    ranked = sorted(activity.per_name.items(), key=lambda item: (-item[1], item[0]))
    return attrs.evolve(
        summary,
        events_today=activity.total,
        events_per_hour_today=tuple(
            TimeBucket(midnight + timedelta(hours=hour), activity.per_hour.get(hour, 0)) for hour in hours
        ),
        top_events_today=tuple(EventCount(name, count) for name, count in ranked[:TOP_EVENTS_TODAY]),
    )


def _every_day(found: Sequence[DayCount], first: date, last: date) -> tuple[DayCount, ...]:
    counts = {day_count.day: day_count.count for day_count in found}
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return tuple(DayCount(day, counts.get(day, 0)) for day in days)
