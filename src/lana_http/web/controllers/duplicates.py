"""Likely duplicate customers, a page of pairs at a time, and merging one of a pair into the
other (the core's merge, guarded by the kept customer's version as read on the page)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from lana_core.app import Lana
from lana_core.domain.customers import Customer
from lana_core.domain.pagination import PageRequest
from lana_core.errors import Conflict, Gone, NotFound, StaleVersion, ValidationError
from lana_core.usecases.customer_merge import MergeCustomers
from lana_http.web import forms
from lana_http.web.context import Viewer, page
from lana_http.web.controllers._base import AnyRequest, PageController

PAIRS_PER_PAGE = 20


class DuplicatesController(PageController):
    path = "/customers/duplicates"

    @get("/", name="customers-duplicates")
    async def duplicates(
        self, *, request: AnyRequest, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]
    ) -> Template:
        """Pairs of customers that are likely one, highest score first (managers and admins)."""
        return await duplicates_page(lana, viewer, cursor=forms.optional(request.query_params, "cursor"))

    @post("/merge", name="customers-merge")
    async def merge(
        self, *, request: AnyRequest, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]
    ) -> Response[Any]:
        """Fold one customer into the one kept, unless the kept one changed since the page was read."""
        form = await request.form()
        try:
            kept_id = _required_id(form, "keep")
            command = MergeCustomers(
                customer_id=kept_id,
                merge_ids=[_required_id(form, "merge")],
                expected_version=forms.version(form),
            )
            kept = await lana.merge_customers(viewer.actor, command)
        except StaleVersion:
            error = (
                "The customer to keep was changed meanwhile: nothing was merged. "
                "Check the pair below and merge again."
            )
            return await duplicates_page(lana, viewer, error=error, status=409)
        except (Conflict, Gone, NotFound) as error:
            message = f"Nothing was merged: {error.message}."
            return await duplicates_page(lana, viewer, error=message, status=409)
        except ValidationError as error:
            message = "; ".join(item.message for item in error.errors)
            return await duplicates_page(lana, viewer, error=f"Nothing was merged: {message}.", status=422)
        return await duplicates_page(lana, viewer, merged=kept)


async def duplicates_page(
    lana: Lana,
    viewer: Viewer,
    *,
    cursor: str | None = None,
    merged: Customer | None = None,
    error: str | None = None,
    status: int = 200,
) -> Template:
    found = await lana.find_duplicate_customers(viewer.actor, PageRequest.of(PAIRS_PER_PAGE, cursor))
    ids = {one for pair in found.items for one in (pair.first_id, pair.second_id)}
    customers = {one: (await lana.get_customer(viewer.actor, one)).customer for one in ids}
    more = None
    if found.next_cursor:
        more = "/customers/duplicates?" + urlencode({"cursor": found.next_cursor})
    return page(
        "customers/duplicates.html",
        viewer,
        status=status,
        section="customers",
        pairs=found.items,
        customers=customers,
        more=more,
        merged=merged,
        error=error,
    )


def _required_id(form: forms.Form, name: str) -> UUID:
    found = forms.identifier(form, name)
    if found is None:
        raise ValidationError.single(name, "required", "choose the customers to merge")
    return found
