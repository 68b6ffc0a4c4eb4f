"""Product analytics of one tenant, aggregated by the database; windows are [since, until).

Each read counts one kind of event, told apart by name: system events carry a domain event
type (a closed set, written into the statements), product events any other name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, bindparam, func, literal_column, select, text, true

from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.records import analytics_of, analytics_values
from lana_adapters.sql.repository import TxRepository
from lana_adapters.sql.tables import analytics_events
from lana_adapters.sql.writes import check_tenant, insert
from lana_core.domain.analytics import (
    SYSTEM_EVENT_NAMES,
    AnalyticsEvent,
    EventCount,
    EventKind,
    Interval,
    Metrics,
    TimeBucket,
    UserMetrics,
)

e = analytics_events.c
_IN_WINDOW = (
    e.tenant_id == bindparam("tenant"),
    e.occurred_at >= bindparam("since"),
    e.occurred_at < bindparam("until"),
)
_OF_USER = e.user_id == bindparam("user")
# Domain event types are dotted lower-case words: safe to write into the SQL as literals.
assert all(re.fullmatch(r"[a-z_.]+", name) for name in SYSTEM_EVENT_NAMES)
_SYSTEM_NAMES: list[ColumnElement[str]] = [literal_column(f"'{name}'") for name in sorted(SYSTEM_EVENT_NAMES)]
_OF_KIND: dict[EventKind | None, ColumnElement[bool]] = {
    None: true(),
    EventKind.SYSTEM: e.name.in_(_SYSTEM_NAMES),
    EventKind.PRODUCT: e.name.not_in(_SYSTEM_NAMES),
}
Kinds = EventKind | None
_INSERT = insert(analytics_events)
# PostgreSQL: every row in one JSON parameter the server unpacks. Encoding rows as one JSON
# document costs a fraction of binding ten arrays of Python values, and it stays an INSERT,
# so the tenant's row-level security checks apply (COPY FROM refuses tables that have them).
# Properties keep the exact text the one-row path stores.
_INSERT_JSON_ROWS = Prepared(
    text(
        "INSERT INTO analytics_events (tenant_id, id, occurred_at, name, user_id, session_id,"
        " subject_type, subject_id, properties, received_at)"
        " SELECT CAST(:tenant AS uuid), CAST(r->>0 AS uuid), CAST(r->>1 AS timestamptz), r->>2, r->>3,"
        " r->>4, r->>5, CAST(r->>6 AS uuid), CAST(r->>7 AS json), CAST(r->>8 AS timestamptz)"
        " FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r"
    )
)
_TOTALS = {
    kind: Prepared(
        select(func.count(), func.count(e.user_id.distinct()), func.count(e.session_id.distinct())).where(
            *_IN_WINDOW, of_kind
        )
    )
    for kind, of_kind in _OF_KIND.items()
}
_USER_TOTALS = {
    kind: Prepared(
        select(func.count(), func.count(e.session_id.distinct())).where(*_IN_WINDOW, _OF_USER, of_kind)
    )
    for kind, of_kind in _OF_KIND.items()
}
_USER_RECENT = {
    kind: Prepared(
        select(analytics_events)
        .where(*_IN_WINDOW, _OF_USER, of_kind)
        .order_by(e.occurred_at.desc(), e.id.desc())
        .limit(bindparam("recent"))
    )
    for kind, of_kind in _OF_KIND.items()
}
_SUBJECT_COUNT = Prepared(
    select(func.count()).where(
        e.tenant_id == bindparam("tenant"),
        e.subject_id == bindparam("subject"),
        e.occurred_at >= bindparam("since"),
    )
)
# SQLite keeps UTC text; these modifiers cut it to the start of an hour, a day or an ISO week.
_SQLITE_BUCKETS: dict[Interval, tuple[str, ...]] = {
    Interval.HOUR: ("strftime", "'%Y-%m-%d %H:00:00'"),
    Interval.DAY: ("date",),
    Interval.WEEK: ("date", "'-6 days'", "'weekday 1'"),
}


def _ranked(*conditions: ColumnElement[bool]) -> Select[Any]:
    count = func.count().label("count")
    return select(e.name, count).where(*conditions).group_by(e.name).order_by(count.desc(), e.name)


_TOP = {
    kind: Prepared(_ranked(*_IN_WINDOW, of_kind).limit(bindparam("limit")))
    for kind, of_kind in _OF_KIND.items()
}
_USER_EVENTS = {kind: Prepared(_ranked(*_IN_WINDOW, _OF_USER, of_kind)) for kind, of_kind in _OF_KIND.items()}


class SqlAnalyticsStore(TxRepository):
    """The tenant's analytics events; every aggregate is computed by one query."""

    __slots__ = ()

    async def add_many(self, events: Sequence[AnalyticsEvent]) -> None:
        """Store events of this unit's tenant in one statement; raises ValueError for another
        tenant's event."""
        tenant = self._tx.tenant_id
        for event in events:
            if event.tenant_id != tenant:
                check_tenant(self._tx, event.tenant_id, "analytics event")
        if not events:
            return
        if self._tx.postgres:
            await self._tx.append(_INSERT_JSON_ROWS, {"tenant": tenant, "rows": json_rows(events)})
        else:
            await self._tx.append(_INSERT, [analytics_values(event) for event in events])

    async def metrics(self, since: datetime, until: datetime, top: int, kind: Kinds = None) -> Metrics:
        window = self._window(since, until)
        row = await self._tx.first(_TOTALS[kind], window)
        assert row is not None
        total, users, sessions = row
        return Metrics(
            total_events=total,
            unique_users=users,
            unique_sessions=sessions,
            top_events=await self._counts(_TOP[kind], {**window, "limit": top}),
            average_events_per_user=total / users if users else 0.0,
        )

    async def time_series(
        self, since: datetime, until: datetime, interval: Interval, kind: Kinds = None
    ) -> Sequence[TimeBucket]:
        """Event counts per bucket start (UTC), oldest first; empty buckets are omitted."""
        bucket = self._bucket(interval)
        statement = (
            select(bucket, func.count()).where(*_IN_WINDOW, _OF_KIND[kind]).group_by(bucket).order_by(bucket)
        )
        rows = await self._tx.rows(statement, self._window(since, until))
        return [TimeBucket(_utc(start), count) for start, count in rows]

    async def top_events(
        self, since: datetime, until: datetime, limit: int, kind: Kinds = None
    ) -> Sequence[EventCount]:
        """Most frequent event names, ties broken by name."""
        return await self._counts(_TOP[kind], {**self._window(since, until), "limit": limit})

    async def user_metrics(
        self, user_id: str, since: datetime, until: datetime, recent: int, kind: Kinds = None
    ) -> UserMetrics:
        params = {**self._window(since, until), "user": user_id}
        row = await self._tx.first(_USER_TOTALS[kind], params)
        assert row is not None
        latest = await self._tx.rows(_USER_RECENT[kind], {**params, "recent": recent})
        return UserMetrics(
            user_id=user_id,
            total_events=row[0],
            unique_sessions=row[1],
            by_event=await self._counts(_USER_EVENTS[kind], params),
            recent=[analytics_of(event) for event in latest],
        )

    async def count_for_subject(self, subject_id: UUID, since: datetime) -> int:
        params = {"tenant": self._tx.tenant_id, "subject": subject_id, "since": since}
        count: int = await self._tx.scalar(_SUBJECT_COUNT, params)
        return count

    async def _counts(self, statement: Prepared, params: dict[str, Any]) -> list[EventCount]:
        return [EventCount(name, count) for name, count in await self._tx.rows(statement, params)]

    def _window(self, since: datetime, until: datetime) -> dict[str, Any]:
        return {"tenant": self._tx.tenant_id, "since": since, "until": until}

    def _bucket(self, interval: Interval) -> ColumnElement[Any]:
        if self._tx.postgres:
            unit: ColumnElement[str] = literal_column(f"'{Interval(interval).value}'")
            return func.date_trunc(unit, func.timezone(literal_column("'UTC'"), e.occurred_at))
        name, *modifiers = _SQLITE_BUCKETS[Interval(interval)]
        arguments: list[ColumnElement[str]] = [literal_column(m) for m in modifiers]
        if name == "strftime":
            return func.strftime(*arguments, e.occurred_at)
        return func.date(e.occurred_at, *arguments)


def json_rows(events: Sequence[AnalyticsEvent]) -> str:
    """The events as the JSON array of arrays ``_INSERT_JSON_ROWS`` unpacks, column by position."""
    stamp = _Stamps()
    rows = [
        (
            event.id.hex,
            stamp(event.occurred_at),
            event.name,
            event.user_id,
            event.session_id,
            event.subject_type,
            None if event.subject_id is None else event.subject_id.hex,
            # Their own JSON text, as one string: jsonb would reorder the keys.
            json.dumps(event.properties) if event.properties else "{}",
            stamp(event.received_at),
        )
        for event in events
    ]
    return json.dumps(rows)


class _Stamps:
    """ISO 8601 text of times; a batch shares its receipt time (and mostly its occurrence
    time), so the last one is remembered instead of formatted again."""

    __slots__ = ("_last", "_text")

    def __init__(self) -> None:
        self._last: datetime | None = None
        self._text = ""

    def __call__(self, moment: datetime) -> str:
        if moment is not self._last:
            self._last, self._text = moment, moment.isoformat()
        return self._text


def _utc(start: datetime | str) -> datetime:
    parsed = start if isinstance(start, datetime) else datetime.fromisoformat(start)
    return parsed.replace(tzinfo=UTC)
