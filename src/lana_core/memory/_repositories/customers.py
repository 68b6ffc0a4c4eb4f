"""The customers of one tenant: unique emails, filtered and paginated lists, dashboard counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from lana_core.domain.analytics import CustomerCounts, DayCount
from lana_core.domain.customers import Customer, CustomerStatus, CustomerValue, CustomerView
from lana_core.domain.duplicates import MatchKey
from lana_core.domain.pagination import KeyKind, Page
from lana_core.domain.queries import RELEVANCE, Archived, CustomerQuery, CustomerSort
from lana_core.memory._listing import paginate
from lana_core.memory._merging import match_keys, move_related
from lana_core.memory._repositories.projects import InMemoryProjectRepository, InMemoryTaskRepository
from lana_core.memory._staging import Scope

_SORT_KEYS: dict[str, tuple[Callable[[Customer], Any], KeyKind]] = {
    CustomerSort.CREATED_AT: (lambda c: c.created_at, datetime),
    CustomerSort.UPDATED_AT: (lambda c: c.updated_at, datetime),
    CustomerSort.NAME: (lambda c: c.name, str),
}


class InMemoryCustomerRepository:
    """The customers of one tenant, archived or not; emails are unique within the tenant."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def add(self, customer: Customer) -> None:
        """Stage a new customer; raises Conflict if its email is taken in the tenant."""
        self._scope.check_tenant(customer.tenant_id, "customer")
        self._scope.writing().customers.add(self._scope.space().customers, customer)

    async def add_many(self, batch: Sequence[Customer]) -> None:
        """Stage new customers; raises Conflict if any email is taken in the tenant or repeated
        among them (the unit of work must then be rolled back, as on a database)."""
        for customer in batch:
            self._scope.check_tenant(customer.tenant_id, "customer")
        staged, table = self._scope.writing().customers, self._scope.space().customers
        for customer in batch:
            staged.add(table, customer)

    async def get(self, customer_id: UUID) -> Customer | None:
        return self._scope.staged.customers.get(self._scope.space().customers, customer_id)

    async def emails_taken(self, emails: Collection[str]) -> set[str]:
        """Which of ``emails`` a customer of this tenant has, archived or not."""
        staged, table = self._scope.staged.customers, self._scope.space().customers
        return {email for email in emails if staged.find(table, email) is not None}

    async def with_emails(self, emails: Collection[str]) -> list[Customer]:
        """The customers of this tenant, archived or not, whose email is one of ``emails``."""
        staged, table = self._scope.staged.customers, self._scope.space().customers
        found = (staged.find(table, email) for email in dict.fromkeys(emails))
        return [customer for customer in found if customer is not None]

    async def with_external_ids(self, external_ids: Collection[str]) -> list[Customer]:
        """The customers of this tenant, archived or not, whose external id is one of ``external_ids``."""
        staged, table = self._scope.staged.customers, self._scope.space().customers
        found = (staged.find(table, key, "external_id") for key in dict.fromkeys(external_ids))
        return [customer for customer in found if customer is not None]

    async def get_view(self, customer_id: UUID, today: date) -> CustomerView | None:
        customer = await self.get(customer_id)
        if customer is None:
            return None
        return CustomerView(
            customer=customer,
            project_stats=await InMemoryProjectRepository(self._scope).stats_for_customer(customer_id, today),
            task_stats=await InMemoryTaskRepository(self._scope).stats_for_customer(customer_id),
        )

    async def update(self, customer: Customer) -> None:
        """Stage ``customer``; raises Conflict unless the stored version is ``customer.version - 1``
        or if its new email is taken."""
        self._scope.check_tenant(customer.tenant_id, "customer")
        self._scope.writing().customers.update(self._scope.space().customers, customer)

    async def list(self, query: CustomerQuery) -> Page[Customer]:
        """Matching customers in the query's stable order, one page at a time."""
        key, kind = _sort_key(query)
        rows = (c for c in self._rows() if _matches(query, c))
        return paginate(rows, key=key, kind=kind, order=query.order, page=query.page)

    async def count(self, query: CustomerQuery) -> int:
        """How many customers :meth:`list` finds for ``query`` on all its pages together."""
        return sum(1 for c in self._rows() if _matches(query, c))

    async def counts(self) -> CustomerCounts:
        """Counts over live customers; every status and value is present, zero or not."""
        live = [c for c in self._rows() if c.archived_at is None]
        by_status = Counter(c.status.value for c in live)
        by_value = Counter(c.value.value for c in live)
        return CustomerCounts(
            total=len(live),
            by_status={s.value: by_status[s.value] for s in CustomerStatus},
            by_value={v.value: by_value[v.value] for v in CustomerValue},
            ever_activated=sum(1 for c in live if c.activated_at is not None),
        )

    async def created_per_day(self, since: datetime) -> Sequence[DayCount]:
        """Live customers created since ``since``, counted per UTC day, oldest first."""
        days = Counter(
            c.created_at.astimezone(UTC).date()
            for c in self._rows()
            if c.archived_at is None and c.created_at >= since
        )
        return [DayCount(day, days[day]) for day in sorted(days)]

    async def match_keys(self) -> Sequence[MatchKey]:
        """What duplicate detection reads of every live customer."""
        return match_keys(self._scope)

    async def move_related(self, source_ids: Collection[UUID], target_id: UUID, now: datetime) -> None:
        """Stage the move of the projects, tasks, interactions and insights of ``source_ids``
        to ``target_id`` (see the port)."""
        move_related(self._scope, source_ids, target_id, now)

    def _rows(self) -> Iterable[Customer]:
        return self._scope.staged.customers.values(self._scope.space().customers)


def _sort_key(query: CustomerQuery) -> tuple[Callable[[Customer], Any], KeyKind]:
    """The key a list is ordered by: relevance ranks a text's matches, as SQLite does."""
    if query.sort != RELEVANCE:
        return _SORT_KEYS[query.sort]
    if not query.text:
        return _SORT_KEYS[CustomerSort.CREATED_AT]
    needle = query.text.lower()
    return (lambda c: _relevance(c, needle)), int


def _relevance(customer: Customer, needle: str) -> int:
    """3 when the name is the text, 2 when it starts with it, 1 when it holds it elsewhere."""
    name = customer.name.lower()
    if name == needle:
        return 3
    return 2 if name.startswith(needle) else 1


def _matches(query: CustomerQuery, customer: Customer) -> bool:
    return (
        _archive_matches(query.archived, customer)
        and (query.status is None or customer.status == query.status)
        and (query.value is None or customer.value == query.value)
        and (query.owner_id is None or customer.owner_id == query.owner_id)
        and (query.tag is None or query.tag in customer.tags)
        and (query.created_after is None or customer.created_at >= query.created_after)
        and (query.created_before is None or customer.created_at < query.created_before)
        and (not query.text or _contains(customer, query.text.lower()))
    )


def _archive_matches(mode: Archived, customer: Customer) -> bool:
    if mode == Archived.INCLUDE:
        return True
    return customer.is_archived is (mode == Archived.ONLY)


def _contains(customer: Customer, needle: str) -> bool:
    return any(
        field is not None and needle in field.lower()
        for field in (customer.name, customer.email, customer.company)
    )
