"""Export customers: every customer a list query matches, read a page at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

from attrs import evolve

from lana_core.domain.customers import Customer
from lana_core.domain.pagination import MAX_LIMIT, Page, PageRequest
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor
from lana_core.usecases._base import UseCase
from lana_core.usecases.customers import ListCustomersHandler

__all__ = ["EXPORT_PAGE_SIZE", "ExportCustomersHandler"]

EXPORT_PAGE_SIZE: Final = MAX_LIMIT


class ExportCustomersHandler(UseCase):
    """An iterator over every customer ``query`` matches, in its order, by the list's rules (an agent
    restricted to its own customers gets those only): one page of ``EXPORT_PAGE_SIZE`` in
    memory at a time, each read in its own unit of work along the keyset cursor.
    Raises ValidationError (a bad filter), PermissionDenied.
    """

    __slots__ = ()

    async def __call__(self, actor: Actor, query: CustomerQuery) -> AsyncIterator[Customer]:
        checked = query.checked()  # a bad filter fails here, before a caller starts its answer
        first = await ListCustomersHandler(self._kernel)(actor, _page(checked, None))
        return self._customers(actor, checked, first)

    async def _customers(
        self, actor: Actor, query: CustomerQuery, page: Page[Customer]
    ) -> AsyncIterator[Customer]:
        lister = ListCustomersHandler(self._kernel)
        while True:
            for customer in page.items:
                yield customer
            if page.next_cursor is None:
                return
            page = await lister(actor, _page(query, page.next_cursor))


def _page(query: CustomerQuery, cursor: str | None) -> CustomerQuery:
    return evolve(query, page=PageRequest.of(EXPORT_PAGE_SIZE, cursor))
