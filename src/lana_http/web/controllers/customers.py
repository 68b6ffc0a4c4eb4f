"""Customers: the list (search, filters, sort, pages), and the create and edit forms."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from lana_core.app import Lana
from lana_core.domain.customers import Customer, CustomerStatus, CustomerValue
from lana_core.domain.pagination import PageRequest, SortOrder
from lana_core.domain.queries import Archived, CustomerQuery, CustomerSort
from lana_core.domain.tenancy import Role
from lana_core.errors import Conflict, StaleVersion, ValidationError
from lana_core.usecases.customers import UNSET, CreateCustomer, UpdateCustomer
from lana_http.web import forms
from lana_http.web.context import Viewer, is_htmx, page
from lana_http.web.controllers._base import AnyRequest, PageController, field_errors
from lana_http.web.people import People, people

PAGE_SIZE = 50
_FIELDS = ("name", "email", "phone", "company", "notes", "tags", "owner_id", "value", "status")
_FILTERS = ("q", "status", "value", "owner", "tag", "archived", "sort", "order")


class CustomerListController(PageController):
    path = "/customers"

    @get("/", name="customers")
    async def customers(
        self, *, request: AnyRequest, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]
    ) -> Template:
        """Customers matching the filters, 50 at a time; htmx asks for the next rows or new results."""
        params = request.query_params
        query = list_query(params, viewer)
        found = await lana.list_customers(viewer.actor, query)
        filters = {name: forms.text(params, name) for name in _FILTERS}
        more = None
        if found.next_cursor:
            more = "/customers?" + urlencode(
                {**{k: v for k, v in filters.items() if v}, "cursor": found.next_cursor}
            )
        context: dict[str, Any] = {
            "customers": found.items,
            "more": more,
            "filters": filters,
            "people": await people(lana, viewer),
        }
        target = request.headers.get("hx-target")
        if is_htmx(request) and target == "more":
            return page("customers/_rows.html", viewer, **context)
        if is_htmx(request) and target == "results":
            return page("customers/_results.html", viewer, **context)
        return page("customers/list.html", viewer, section="customers", **context)

    @get("/new", name="customer-new")
    async def new(self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]) -> Template:
        """The form for a new customer."""
        values = {"value": CustomerValue.MEDIUM.value, "status": CustomerStatus.PROSPECT.value}
        return await _form(lana, viewer, values=values)

    @post("/", name="customer-create")
    async def create(
        self, *, request: AnyRequest, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]
    ) -> Response[Any]:
        """Create the customer, or show the form again with what the core found wrong."""
        form = await request.form()
        try:
            customer = await lana.create_customer(viewer.actor, _create_command(form, viewer))
        except ValidationError as error:
            return await _form(lana, viewer, values=form, errors=field_errors(error), status=422)
        except Conflict as error:
            return await _form(lana, viewer, values=form, errors={"email": error.message}, status=409)
        return Redirect(f"/customers/{customer.id}", status_code=303)

    @get("/{customer_id:uuid}/edit", name="customer-edit")
    async def edit(
        self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer], customer_id: FromPath[UUID]
    ) -> Template:
        """The edit form, holding the version it was read at."""
        customer = (await lana.get_customer(viewer.actor, customer_id)).customer
        return await _form(lana, viewer, values=values_of(customer), customer=customer)

    @post("/{customer_id:uuid}/edit", name="customer-update")
    async def update(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        customer_id: FromPath[UUID],
    ) -> Response[Any]:
        """Save the edit if nobody changed the customer since the form was read; otherwise show
        both versions side by side and save nothing."""
        form = await request.form()
        try:
            command = _update_command(form, viewer, customer_id)
            customer = await lana.update_customer(viewer.actor, command)
        except StaleVersion:
            current = (await lana.get_customer(viewer.actor, customer_id)).customer
            return await _form(lana, viewer, values=form, customer=current, conflict=current, status=409)
        except ValidationError as error:
            current = (await lana.get_customer(viewer.actor, customer_id)).customer
            errors = field_errors(error)
            return await _form(lana, viewer, values=form, customer=current, errors=errors, status=422)
        except Conflict as error:
            current = (await lana.get_customer(viewer.actor, customer_id)).customer
            errors = {"email": error.message}
            return await _form(lana, viewer, values=form, customer=current, errors=errors, status=409)
        return Redirect(f"/customers/{customer.id}?saved=1", status_code=303)


def list_query(params: forms.Form, viewer: Viewer) -> CustomerQuery:
    owner = forms.text(params, "owner")
    sort = forms.choice(CustomerSort, params, "sort") or CustomerSort.CREATED_AT
    default_order = SortOrder.ASC if sort is CustomerSort.NAME else SortOrder.DESC
    return CustomerQuery(
        status=forms.choice(CustomerStatus, params, "status"),
        value=forms.choice(CustomerValue, params, "value"),
        tag=forms.optional(params, "tag"),
        owner_id=viewer.actor.user_id if owner == "me" else forms.identifier(params, "owner"),
        text=forms.optional(params, "q"),
        archived=forms.choice(Archived, params, "archived") or Archived.EXCLUDE,
        sort=sort,
        order=forms.choice(SortOrder, params, "order") or default_order,
        page=PageRequest.of(PAGE_SIZE, forms.optional(params, "cursor")),
    )


def _create_command(form: forms.Form, viewer: Viewer) -> CreateCustomer:
    return CreateCustomer(
        name=forms.text(form, "name"),
        email=forms.optional(form, "email"),
        phone=forms.optional(form, "phone"),
        company=forms.optional(form, "company"),
        notes=forms.optional(form, "notes"),
        value=forms.choice(CustomerValue, form, "value") or CustomerValue.MEDIUM,
        status=forms.choice(CustomerStatus, form, "status") or CustomerStatus.PROSPECT,
        owner_id=_owner(form, viewer) or None,
        tags=forms.tags(form),
    )


def _update_command(form: forms.Form, viewer: Viewer, customer_id: UUID) -> UpdateCustomer:
    return UpdateCustomer(
        customer_id=customer_id,
        expected_version=forms.version(form),
        name=forms.text(form, "name"),
        email=forms.optional(form, "email"),
        phone=forms.optional(form, "phone"),
        company=forms.optional(form, "company"),
        notes=forms.optional(form, "notes"),
        owner_id=_owner(form, viewer),
        tags=forms.tags(form),
    )


def _owner(form: forms.Form, viewer: Viewer) -> UUID | None:
    """The owner chosen on the form; agents get no choice (the core makes them the owner)."""
    if viewer.role is Role.AGENT or "owner_id" not in form:
        return UNSET  # type: ignore[no-any-return]
    return forms.identifier(form, "owner_id")


def values_of(customer: Customer) -> dict[str, str]:
    """A customer as its form shows it."""
    return {
        "name": customer.name,
        "email": customer.email or "",
        "phone": customer.phone or "",
        "company": customer.company or "",
        "notes": customer.notes or "",
        "tags": ", ".join(customer.tags),
        "owner_id": str(customer.owner_id or ""),
        "value": customer.value.value,
        "status": customer.status.value,
    }


async def _form(
    lana: Lana,
    viewer: Viewer,
    *,
    values: forms.Form,
    customer: Customer | None = None,
    conflict: Customer | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    directory: People = await people(lana, viewer)
    shown = {name: forms.text(values, name) for name in _FIELDS}
    # After a clash the form holds the stored version: saving again is a deliberate overwrite.
    # After any other refusal it keeps the version it was read at.
    held = conflict or customer
    shown["version"] = (
        str(conflict.version)
        if conflict
        else forms.text(values, "version") or (str(held.version) if held else "")
    )
    return page(
        "customers/form.html",
        viewer,
        status=status,
        section="customers",
        values=shown,
        customer=customer,
        conflict=conflict,
        theirs=None if conflict is None else values_of(conflict),
        errors=errors or {},
        people=directory,
        owners=_owner_choices(directory, shown["owner_id"]),
        statuses=list(CustomerStatus),
        tiers=list(CustomerValue),
    )


def _owner_choices(directory: People, current: str) -> list[tuple[str, str]]:
    """Whom the owner may be set to: the people the viewer may name, and whoever owns the
    customer now (a manager cannot list users, yet saving must not drop the owner)."""
    choices = directory.choices
    if current and current not in {value for value, _ in choices}:
        choices.insert(0, (current, "The current owner"))
    return choices
