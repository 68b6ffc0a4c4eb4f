"""Live activity counters held in this process: for tests and the embedded single process."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date
from uuid import UUID

from lana_core.domain.analytics import AnalyticsEvent, DayActivity

_Day = tuple[UUID, date]


class InMemoryActivityCounters:
    """An :class:`~lana_core.ports.ActivityCounters` counting in dictionaries.

    Counts only what this process recorded: a day it never saw is unknown (None), so
    the store is asked for it. Recording never raises.
    """

    __slots__ = ("_hours", "_names")

    def __init__(self) -> None:
        self._hours: dict[_Day, Counter[int]] = {}
        self._names: dict[_Day, Counter[str]] = {}

    async def record(self, events: Sequence[AnalyticsEvent]) -> None:
        """Count events that were just committed."""
        for event in events:
            moment = event.occurred_at.astimezone(UTC)
            key = (event.tenant_id, moment.date())
            self._hours.setdefault(key, Counter())[moment.hour] += 1
            self._names.setdefault(key, Counter())[event.name] += 1

    async def activity(self, tenant_id: UUID, day: date) -> DayActivity | None:
        """The counts of ``day``, or None when this process recorded nothing that day."""
        key = (tenant_id, day)
        hours = self._hours.get(key)
        if hours is None:
            return None
        return DayActivity(day=day, per_hour=dict(hours), per_name=dict(self._names[key]))
