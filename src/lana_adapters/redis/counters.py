"""Live analytics counters in Redis: events per tenant per day, per hour and per event name
per day, kept 30 days. The analytics store stays the source of truth: counters are a fast,
approximate view, written after commit, and :meth:`LiveCounters.rebuild_counters` recomputes
them from the store whenever they may have drifted (an outage, a crash between commit and
count, a restored backup).

Keys (``P`` is the settings' prefix; days are UTC):

- ``P lana:count:<tenant>:day:<YYYY-MM-DD>``: the day's total.
- ``P lana:count:<tenant>:hour:<YYYY-MM-DD>``: hash, hour ``00``-``23`` → count.
- ``P lana:count:<tenant>:events:<YYYY-MM-DD>``: hash, event name → count.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import cast
from uuid import UUID

from redis.asyncio import Redis
from redis.typing import EncodableT

from lana_adapters.redis.connection import Guard, RedisDown
from lana_adapters.redis.losses import LossLog
from lana_adapters.redis.settings import RedisSettings
from lana_adapters.redis.stores import strict
from lana_core.domain.analytics import AnalyticsEvent, DayActivity
from lana_core.ports import UnitOfWorkFactory
from lana_core.usecases._activity import day_activity_in

log = logging.getLogger(__name__)

MAX_NAMES_PER_DAY = 10_000

_Day = tuple[UUID, date]
# A day's total, hours and names as Redis returns them.
_StoredDay = tuple[bytes | None, dict[bytes, bytes], dict[bytes, bytes]]


class LiveCounters:
    """Counts committed analytics events per tenant; see the module for the keys. An
    :class:`~lana_core.ports.ActivityCounters` shared by every process on the Redis."""

    __slots__ = ("_guard", "_missed", "_prefix", "_redis", "_retention", "_unreadable")

    def __init__(
        self, redis: Redis, settings: RedisSettings, *, guard: Guard | None = None, retention_days: int = 30
    ) -> None:
        self._redis = redis
        self._guard = guard or Guard.of(settings)
        self._prefix = f"{settings.key_prefix}lana:count:"
        self._retention = timedelta(days=retention_days)
        self._missed = LossLog(log, "live counters missed %d events (rebuild to repair)")
        self._unreadable = LossLog(log, "live counters unreadable for %d reads, the store answered")

    async def record(self, events: Sequence[AnalyticsEvent]) -> None:
        """Count events that were just committed, in one pipelined round trip.

        Never raises: when Redis fails the counts are skipped (and logged); the store has
        the events, and a rebuild restores the counters.
        """
        days, hours, names = _tally(events)
        if not days:
            return
        try:
            await self._guard.run(lambda: self._increment(days, hours, names))
        except RedisDown as error:
            self._missed.lost(len(events), error)
        else:
            self._missed.recovered()

    async def activity(self, tenant_id: UUID, day: date) -> DayActivity | None:
        """The tenant's counts on ``day`` in one pipelined round trip, as the
        :class:`~lana_core.ports.ActivityCounters` port reads them.

        None (ask the store) when Redis fails or holds no count of that day (never
        counted, expired, or lost): a missing key is not proof of a quiet day.
        """
        try:
            found = await self._guard.run(lambda: self._read_day(tenant_id, day))
        except RedisDown as error:
            self._unreadable.lost(1, error)
            return None
        self._unreadable.recovered()
        total, hours, names = found
        if total is None:
            return None
        return DayActivity(
            day=day,
            per_hour={int(hour): int(count) for hour, count in hours.items()},
            per_name={name.decode(): int(count) for name, count in names.items()},
        )

    async def day(self, tenant_id: UUID, day: date) -> int:
        """Events of the tenant counted on ``day`` (UTC). Raises Unavailable when Redis fails."""
        found = await strict(self._guard, lambda: self._redis.get(self._key(tenant_id, "day", day)), _WHAT)
        return int(cast("bytes", found)) if found is not None else 0

    async def hours(self, tenant_id: UUID, day: date) -> dict[int, int]:
        """Events per hour (0-23) of ``day``, hours without events left out. Raises Unavailable."""
        found = await strict(self._guard, lambda: self._hgetall(self._key(tenant_id, "hour", day)), _WHAT)
        return {int(hour): int(count) for hour, count in found.items()}

    async def events(self, tenant_id: UUID, day: date) -> dict[str, int]:
        """Events per name on ``day``. Raises Unavailable."""
        found = await strict(self._guard, lambda: self._hgetall(self._key(tenant_id, "events", day)), _WHAT)
        return {name.decode(): int(count) for name, count in found.items()}

    async def rebuild_counters(
        self, tenant_id: UUID, uow_factory: UnitOfWorkFactory, days: int, *, today: date | None = None
    ) -> None:
        """Recompute the tenant's counters of the last ``days`` days (today included) from the store.

        Each day's three keys are replaced at once. Events committed while a day is being
        rebuilt may be counted twice or missed for that day; run it again to settle.
        Raises Unavailable when Redis fails.
        """
        last = today or datetime.now(UTC).date()
        for offset in range(min(days, self._retention.days)):
            await self._rebuild_day(tenant_id, uow_factory, last - timedelta(days=offset))

    async def _rebuild_day(self, tenant_id: UUID, uow_factory: UnitOfWorkFactory, day: date) -> None:
        hours, names = await _from_store(uow_factory, tenant_id, day)
        await strict(self._guard, lambda: self._replace(tenant_id, day, hours, names), _WHAT)

    async def _read_day(
        self, tenant: UUID, day: date
    ) -> tuple[bytes | None, dict[bytes, bytes], dict[bytes, bytes]]:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(self._key(tenant, "day", day))
            pipe.hgetall(self._key(tenant, "hour", day))
            pipe.hgetall(self._key(tenant, "events", day))
            total, hours, names = await pipe.execute()
        return (
            cast("bytes | None", total),
            cast("dict[bytes, bytes]", hours),
            cast("dict[bytes, bytes]", names),
        )

    async def _increment(
        self,
        days: Counter[_Day],
        hours: Counter[tuple[UUID, date, int]],
        names: Counter[tuple[UUID, date, str]],
    ) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for (tenant, day), count in days.items():
                pipe.incrby(self._key(tenant, "day", day), count)
            for (tenant, day, hour), count in hours.items():
                pipe.hincrby(self._key(tenant, "hour", day), f"{hour:02d}", count)
            for (tenant, day, name), count in names.items():
                pipe.hincrby(self._key(tenant, "events", day), name, count)
            for tenant, day in days:
                for kind in ("day", "hour", "events"):
                    pipe.expireat(self._key(tenant, kind, day), self._expiry(day))
            await pipe.execute()

    async def _replace(self, tenant: UUID, day: date, hours: dict[int, int], names: dict[str, int]) -> None:
        keys = {kind: self._key(tenant, kind, day) for kind in ("day", "hour", "events")}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(*keys.values())
            # The total is set even when zero: a rebuilt quiet day is known, not unknown.
            pipe.set(keys["day"], sum(hours.values()))
            if hours:
                pipe.hset(keys["hour"], mapping={f"{hour:02d}": count for hour, count in hours.items()})
            if names:
                pipe.hset(keys["events"], mapping=cast("dict[EncodableT, EncodableT]", names))
            for key in keys.values():
                pipe.expireat(key, self._expiry(day))
            await pipe.execute()

    async def _hgetall(self, key: str) -> dict[bytes, bytes]:
        return cast("dict[bytes, bytes]", await self._redis.hgetall(key))

    def _key(self, tenant: UUID, kind: str, day: date) -> str:
        return f"{self._prefix}{tenant}:{kind}:{day.isoformat()}"

    def _expiry(self, day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=UTC) + self._retention + timedelta(days=1)


_WHAT = "the live counters"


def _tally(
    events: Sequence[AnalyticsEvent],
) -> tuple[Counter[_Day], Counter[tuple[UUID, date, int]], Counter[tuple[UUID, date, str]]]:
    # Counted as they come first (in C), then placed on their UTC day and hour once per
    # distinct moment: a batch mostly shares one.
    seen = Counter((event.tenant_id, event.occurred_at, event.name) for event in events)
    days: Counter[_Day] = Counter()
    hours: Counter[tuple[UUID, date, int]] = Counter()
    names: Counter[tuple[UUID, date, str]] = Counter()
    for (tenant, occurred_at, name), count in seen.items():
        moment = occurred_at.astimezone(UTC)
        day = moment.date()
        days[tenant, day] += count
        hours[tenant, day, moment.hour] += count
        names[tenant, day, name] += count
    return days, hours, names


async def _from_store(
    uow_factory: UnitOfWorkFactory, tenant_id: UUID, day: date
) -> tuple[dict[int, int], dict[str, int]]:
    async with uow_factory(tenant_id) as uow:
        found = await day_activity_in(uow.analytics, day, MAX_NAMES_PER_DAY)
    return dict(found.per_hour), dict(found.per_name)
