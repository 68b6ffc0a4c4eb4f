"""Webhook subscriptions, their deliveries and attempts: a tenant's view in its unit of work,
and the delivery worker's view of every tenant.

A delivery's id is derived from its subscription and event, so enqueueing inserts with
``ON CONFLICT DO NOTHING`` and an event is owed once however often it arrives. Claims
follow ``seq`` (enqueue order) and pass over a delivery while an earlier open one of its
subscription and aggregate remains, as the outbox relay's claim does per aggregate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import attrs
from sqlalchemy import ColumnElement, Executable, Insert, Table, bindparam, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from lana_adapters.sql.converter import reader, writer
from lana_adapters.sql.paging import after, order_by, page_of
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.relaying import LeasedRows
from lana_adapters.sql.repository import TxRepository
from lana_adapters.sql.tables import webhook_attempts, webhook_deliveries, webhook_subscriptions
from lana_adapters.sql.tx import AnyRow
from lana_adapters.sql.writes import (
    add,
    check_tenant,
    delete_versioned,
    insert,
    update_versioned,
    versioned_delete,
    versioned_update,
)
from lana_core.domain import webhook_filters
from lana_core.domain.pagination import Page, PageRequest, SortOrder
from lana_core.domain.webhooks import (
    OPEN_STATUSES,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Subscription,
    WebhookEvent,
    WebhookFormat,
)
from lana_core.ports import ClaimedDelivery, WebhookDeliveryQueue

_KIND = "webhook subscription"
T = TypeVar("T")
s, d, a = webhook_subscriptions.c, webhook_deliveries.c, webhook_attempts.c
_OPEN = sorted(status.value for status in OPEN_STATUSES)


def _is_open(status: ColumnElement[str]) -> ColumnElement[bool]:
    """``status IN ('failed', 'pending')`` with the values written into the SQL, not sent as
    parameters: PostgreSQL uses the partial indexes over open deliveries only when it can
    prove their predicate from constants, which a cached generic plan's parameters are not."""
    return status.in_([literal(value, literal_execute=True) for value in _OPEN])


_INSERT = insert(webhook_subscriptions)
_UPDATE = versioned_update(webhook_subscriptions)
_DELETE = versioned_delete(webhook_subscriptions)
_BY_ID = Prepared(
    select(webhook_subscriptions).where(s.tenant_id == bindparam("tenant"), s.id == bindparam("id"))
)
_ALL = select(webhook_subscriptions).where(s.tenant_id == bindparam("tenant"))
_DELIVERY = Prepared(
    select(webhook_deliveries).where(d.tenant_id == bindparam("tenant"), d.id == bindparam("id")), by_key=True
)


class SqlWebhookRepository(TxRepository):
    """The webhook subscriptions and deliveries of the unit of work's tenant."""

    __slots__ = ()

    async def add(self, subscription: Subscription) -> None:
        check_tenant(self._tx, subscription.tenant_id, _KIND)
        await add(self._tx, _INSERT, _subscription_values(subscription))

    async def get(self, subscription_id: UUID) -> Subscription | None:
        row = await self._tx.first(_BY_ID, {"tenant": self._tx.tenant_id, "id": subscription_id})
        return None if row is None else subscription_of(row)

    async def update(self, subscription: Subscription) -> None:
        check_tenant(self._tx, subscription.tenant_id, _KIND)
        await update_versioned(self._tx, _UPDATE, _subscription_values(subscription), _KIND)

    async def delete(self, subscription: Subscription) -> None:
        """Delete the subscription; its deliveries and attempts go by cascade."""
        check_tenant(self._tx, subscription.tenant_id, _KIND)
        await delete_versioned(self._tx, _DELETE, subscription.id, subscription.version, _KIND)

    async def list(self, page: PageRequest) -> Page[Subscription]:
        statement = _ALL.order_by(*order_by(s.created_at, s.id, SortOrder.DESC)).limit(page.limit + 1)
        if page.after is not None:
            statement = statement.where(after(s.created_at, s.id, SortOrder.DESC, page.after, datetime))
        rows = await self._tx.rows(statement, {"tenant": self._tx.tenant_id})
        return page_of(rows, page, subscription_of, lambda sub: sub.created_at)

    async def list_all(self) -> Sequence[Subscription]:
        return [subscription_of(row) for row in await self._tx.rows(_ALL, {"tenant": self._tx.tenant_id})]

    async def enqueue(
        self, event: WebhookEvent, subscriptions: Sequence[Subscription], now: datetime
    ) -> Sequence[Delivery]:
        """Insert a delivery per subscription, skipping those already owed the event."""
        check_tenant(self._tx, event.tenant_id, "webhook event")
        owed = {sub.id: sub for sub in subscriptions}
        if not owed:
            return ()
        for subscription in owed.values():
            check_tenant(self._tx, subscription.tenant_id, _KIND)
        drafts = [Delivery.enqueued(sub, event, 0, now) for sub in owed.values()]
        statement = _enqueue_statement(drafts, postgres=self._tx.postgres)
        made = {row.id: row.seq for row in await self._tx.rows(statement)}
        return tuple(
            _with_sequence(draft, made[draft.id])
            for draft in sorted(drafts, key=lambda draft: made.get(draft.id, 0))
            if draft.id in made
        )

    async def get_delivery(self, delivery_id: UUID) -> Delivery | None:
        row = await self._tx.first(_DELIVERY, {"tenant": self._tx.tenant_id, "id": delivery_id})
        return None if row is None else delivery_of(row)

    async def deliveries(self, subscription_id: UUID, page: PageRequest) -> Page[Delivery]:
        statement = (
            select(webhook_deliveries)
            .where(d.tenant_id == self._tx.tenant_id, d.subscription_id == subscription_id)
            .order_by(d.seq.desc())
            .limit(page.limit + 1)
        )
        if page.after is not None:
            statement = statement.where(d.seq < page.after.key_as(int))
        rows = await self._tx.rows(statement)
        return page_of(rows, page, delivery_of, lambda delivery: delivery.sequence)

    async def attempts(
        self, subscription_id: UUID, page: PageRequest, *, delivery_id: UUID | None = None
    ) -> Page[DeliveryAttempt]:
        statement = (
            select(webhook_attempts)
            .where(a.tenant_id == self._tx.tenant_id, a.subscription_id == subscription_id)
            .order_by(*order_by(a.at, a.id, SortOrder.DESC))
            .limit(page.limit + 1)
        )
        if delivery_id is not None:
            statement = statement.where(a.delivery_id == delivery_id)
        if page.after is not None:
            statement = statement.where(after(a.at, a.id, SortOrder.DESC, page.after, datetime))
        rows = await self._tx.rows(statement)
        return page_of(rows, page, attempt_of, lambda attempt: attempt.at)

    async def redeliver(
        self,
        subscription_id: UUID,
        now: datetime,
        *,
        delivery_id: UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        chosen = [d.tenant_id == self._tx.tenant_id, d.subscription_id == subscription_id]
        if delivery_id is not None:
            chosen.append(d.id == delivery_id)
        if since is not None:
            chosen.append(d.occurred_at >= since)
        if until is not None:
            chosen.append(d.occurred_at < until)
        statement = (
            webhook_deliveries.update()
            .where(*chosen)
            .values(status=DeliveryStatus.PENDING.value, next_attempt_at=now, pending_since=now)
        )
        return await self._tx.write(statement)


def _enqueue_statement(drafts: Sequence[Delivery], *, postgres: bool) -> Executable:
    rows = [_delivery_values(draft) for draft in drafts]
    statement: Insert
    if postgres:
        statement = postgresql.insert(webhook_deliveries).values(rows).on_conflict_do_nothing()
    else:
        # SQLite has no identity: number on from the highest, under the writer's lock. Each
        # row's offset keeps the numbers apart however SQLite orders the subqueries.
        highest = select(func.coalesce(func.max(d.seq), 0)).scalar_subquery()
        numbered = [{**row, "seq": highest + offset} for offset, row in enumerate(rows, start=1)]
        statement = sqlite.insert(webhook_deliveries).values(numbered).on_conflict_do_nothing()
    return statement.returning(d.id, d.seq)


def _with_sequence(draft: Delivery, sequence: int) -> Delivery:
    return attrs.evolve(draft, sequence=sequence)


class SqlWebhookDeliveryQueue(LeasedRows):
    """A :class:`~lana_core.ports.WebhookDeliveryQueue` over the deliveries of every tenant.

    Each call is one short transaction of :class:`~lana_adapters.sql.relaying.RelayTransactions`
    (as ``role`` on PostgreSQL, the relay role, retried ``retries`` times). On PostgreSQL a claim skips rows
    another worker is claiming (``FOR UPDATE SKIP LOCKED``), so several workers can run.
    """

    __slots__ = ()

    async def claim(self, limit: int, lease_seconds: float) -> Sequence[ClaimedDelivery]:
        statement = _CLAIM_POSTGRES if self._transactions.postgres else _CLAIM_SQLITE
        params = self._claim_parameters(limit, lease_seconds)

        async def run(conn: AsyncConnection) -> list[ClaimedDelivery]:
            claimed = sorted((await conn.execute(statement, params)).all(), key=lambda row: row.seq)
            if not claimed:
                return []
            keys = {(row.tenant_id, row.subscription_id) for row in claimed}
            found = await conn.execute(
                select(webhook_subscriptions).where(s.id.in_([sub for _, sub in keys]))
            )
            subscriptions = {(row.tenant_id, row.id): subscription_of(row) for row in found}
            return [
                ClaimedDelivery(
                    delivery=delivery_of(row),
                    subscription=subscriptions[(row.tenant_id, row.subscription_id)],
                )
                for row in claimed
            ]

        return await self._transactions.run(run, writes=True)

    async def record(self, delivery: Delivery, attempt: DeliveryAttempt) -> None:
        await self.record_many([(delivery, attempt)])

    async def record_many(self, outcomes: Sequence[tuple[Delivery, DeliveryAttempt]]) -> None:
        if not outcomes:
            return

        # Two statements for the whole batch (each run for many rows at once): settle every
        # delivery still at the attempt before, then log each attempt its delivery now holds.
        # A second sender's copy of an attempt updates nothing and inserts nothing (same id).
        settle = [_settled(delivery, attempt) for delivery, attempt in outcomes]
        log = [attempt_values(attempt) for _, attempt in outcomes]
        logged = _LOG_POSTGRES if self._transactions.postgres else _LOG_SQLITE

        async def run(conn: AsyncConnection) -> None:
            await conn.execute(_SETTLE, settle)
            await conn.execute(logged, log)

        await self._transactions.run(run, writes=True)

    async def open_count(self) -> int:
        async def run(conn: AsyncConnection) -> int:
            return int((await conn.execute(_OPEN_COUNT)).scalar_one())

        return await self._transactions.run(run)


_OPEN_COUNT = select(func.count()).where(_is_open(d.status))
_SETTLE = (
    webhook_deliveries.update()
    .where(
        d.tenant_id == bindparam("w_tenant"),
        d.id == bindparam("w_id"),
        # Another sender that held the delivery after this one's lease ended may have
        # recorded this attempt already: then this one changes nothing.
        d.attempts == bindparam("w_attempts"),
    )
    .values(
        status=bindparam("status"),
        attempts=bindparam("attempts"),
        next_attempt_at=bindparam("next_attempt_at"),
        last_attempt_at=bindparam("last_attempt_at"),
        leased_until=None,
    )
)


def _log_attempt(insert: Callable[[Table], Any]) -> Executable:
    """Insert an attempt only when its delivery holds it (``attempts`` = its number): not for
    a delivery deleted meanwhile, nor twice."""
    columns = list(webhook_attempts.columns)
    held = (
        select(d.id)
        .where(
            d.tenant_id == bindparam("tenant_id"),
            d.id == bindparam("delivery_id"),
            d.attempts == bindparam("number"),
        )
        .exists()
    )
    row = select(*(bindparam(column.name, type_=column.type) for column in columns)).where(held)
    statement: Any = insert(webhook_attempts).from_select([column.name for column in columns], row)
    return statement.on_conflict_do_nothing()  # type: ignore[no-any-return]


_LOG_POSTGRES = _log_attempt(postgresql.insert)
_LOG_SQLITE = _log_attempt(sqlite.insert)


def _settled(delivery: Delivery, attempt: DeliveryAttempt) -> dict[str, Any]:
    return {
        "w_tenant": delivery.tenant_id,
        "w_id": delivery.id,
        "w_attempts": attempt.number - 1,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_attempt_at": delivery.last_attempt_at,
    }


def _claim(*, skip_locked: bool) -> Executable:
    """Lease the earliest due open deliveries of active subscriptions, each only while no
    earlier open delivery of its subscription and aggregate remains (leased, waiting for a
    retry or not yet due)."""
    # Aliases throughout, so no subquery correlates with the updated table by mistake.
    candidate, earlier = webhook_deliveries.alias("candidate").c, webhook_deliveries.alias("earlier").c
    held_back = (
        select(earlier.seq)
        .where(
            earlier.tenant_id == candidate.tenant_id,
            earlier.subscription_id == candidate.subscription_id,
            earlier.aggregate_id == candidate.aggregate_id,
            _is_open(earlier.status),
            earlier.seq < candidate.seq,
        )
        .exists()
    )
    active = (
        select(s.id)
        .where(s.tenant_id == candidate.tenant_id, s.id == candidate.subscription_id, s.active.is_(True))
        .exists()
    )
    free = candidate.leased_until.is_(None) | (candidate.leased_until <= bindparam("now"))
    due = (
        select(candidate.seq)
        .where(
            _is_open(candidate.status),
            candidate.next_attempt_at <= bindparam("now"),
            free,
            active,
            ~held_back,
        )
        .order_by(candidate.seq)
        .limit(bindparam("limit"))
    )
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    return (
        webhook_deliveries.update()
        .where(d.seq.in_(due.scalar_subquery()))
        .values(leased_until=bindparam("until"))
        .returning(*webhook_deliveries.c)
    )


_CLAIM_POSTGRES = _claim(skip_locked=True)
_CLAIM_SQLITE = _claim(skip_locked=False)


def subscription_of(row: AnyRow) -> Subscription:
    return Subscription(
        id=row.id,
        tenant_id=row.tenant_id,
        url=row.url,
        event_types=tuple(row.event_types),
        filters=webhook_filters.parse_all(row.filters),
        format=WebhookFormat(row.format),
        secret=row.secret,
        active=bool(row.active),
        paused_reason=row.paused_reason,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        operator_rank=row.operator_rank,
    )


def _subscription_values(subscription: Subscription) -> dict[str, Any]:
    return {
        "tenant_id": subscription.tenant_id,
        "id": subscription.id,
        "url": subscription.url,
        "event_types": list(subscription.event_types),
        "filters": list(subscription.filter_texts),
        "format": subscription.format.value,
        "secret": subscription.secret,
        "active": subscription.active,
        "paused_reason": subscription.paused_reason,
        "created_by": subscription.created_by,
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
        "version": subscription.version,
        "operator_rank": subscription.operator_rank,
    }


def delivery_of(row: AnyRow) -> Delivery:
    return Delivery(
        id=row.id,
        tenant_id=row.tenant_id,
        subscription_id=row.subscription_id,
        event=WebhookEvent(
            id=row.event_id,
            tenant_id=row.tenant_id,
            type=row.event_type,
            aggregate_id=row.aggregate_id,
            occurred_at=row.occurred_at,
            body=bytes(row.body),
            traceparent=row.traceparent,
        ),
        sequence=row.seq,
        status=DeliveryStatus(row.status),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        pending_since=row.pending_since,
        last_attempt_at=row.last_attempt_at,
    )


def _delivery_values(delivery: Delivery) -> dict[str, Any]:
    event = delivery.event
    return {
        "tenant_id": delivery.tenant_id,
        "id": delivery.id,
        "subscription_id": delivery.subscription_id,
        "event_id": event.id,
        "event_type": event.type,
        "aggregate_id": event.aggregate_id,
        "occurred_at": event.occurred_at,
        "body": event.body,
        "traceparent": event.traceparent,
        "status": delivery.status.value,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "pending_since": delivery.pending_since,
        "last_attempt_at": delivery.last_attempt_at,
        "leased_until": None,
    }


attempt_of, attempt_values = reader(DeliveryAttempt), writer(DeliveryAttempt)


def _satisfies_the_port(queue: SqlWebhookDeliveryQueue) -> WebhookDeliveryQueue:
    """Never called: mypy checks here that the queue satisfies the core's Protocol."""
    return queue
