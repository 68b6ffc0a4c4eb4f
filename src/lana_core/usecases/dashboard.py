"""The CRM dashboard: the tenant's customer and project figures at a glance."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from lana_core.domain.analytics import Dashboard, DayCount, conversion_rate
from lana_core.domain.policy import Action, Resource
from lana_core.domain.tenancy import Actor
from lana_core.ports import CacheKey
from lana_core.usecases._base import UseCase, authorize_in
from lana_core.usecases.caching import DASHBOARD

__all__ = ["DASHBOARD_TTL_SECONDS", "NEW_CUSTOMER_DAYS", "GetDashboardHandler"]

# Writes to customers and projects drop the cached dashboard, so the TTL only bounds how
# long "overdue" and the per-day window lag behind the calendar.
DASHBOARD_TTL_SECONDS = 60.0
NEW_CUSTOMER_DAYS = 30


class GetDashboardHandler(UseCase):
    """The tenant's dashboard: customers by status and value, projects by status, active and
    overdue projects, new customers per day over the last 30 days (today included, empty
    days as zero) and the prospect-to-active conversion rate.

    Figures are tenant-wide aggregates, so any role that may read analytics may read them.
    Raises PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor) -> Dashboard:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await authorize_in(uow, actor, Action.READ, Resource.ANALYTICS)
        key = CacheKey(actor.tenant_id, DASHBOARD, "summary")
        return await self._kernel.cache.get_or_compute(
            key, Dashboard, lambda: self._compute(actor), DASHBOARD_TTL_SECONDS
        )

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


def _every_day(found: Sequence[DayCount], first: date, last: date) -> tuple[DayCount, ...]:
    counts = {day_count.day: day_count.count for day_count in found}
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return tuple(DayCount(day, counts.get(day, 0)) for day in days)
