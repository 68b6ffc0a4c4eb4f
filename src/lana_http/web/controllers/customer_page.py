"""One customer's page: fields and figures, timeline, projects and tasks, interactions, the
insight; and the changes made from it (status, value, archive, a contact, a project)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from lana_core.app import Lana
from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.insights import Insight
from lana_core.domain.interactions import InteractionType
from lana_core.domain.pagination import PageRequest
from lana_core.domain.projects import Priority, Project, Task
from lana_core.domain.queries import ProjectQuery, TaskQuery
from lana_core.errors import Conflict, NotFound, StaleVersion, ValidationError
from lana_core.usecases.customers import ChangeCustomerStatus, ChangeCustomerValue
from lana_core.usecases.insights import GenerateInsight
from lana_core.usecases.interactions import RecordInteraction
from lana_core.usecases.projects import CreateProject
from lana_http.web import forms
from lana_http.web.context import Viewer, is_htmx, page
from lana_http.web.controllers._base import AnyRequest, PageController, field_errors, refusal_status
from lana_http.web.people import people

ID = "/{customer_id:uuid}"
TIMELINE_ENTRIES = 30
INTERACTIONS_SHOWN = 20
PROJECTS_SHOWN = 20
# Tasks are listed per project: the page shows those of its first few projects.
PROJECTS_WITH_TASKS = 5


class CustomerPageController(PageController):
    path = "/customers"

    @get(ID, name="customer")
    async def customer(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        customer_id: FromPath[UUID],
    ) -> Template:
        """Everything about one customer."""
        notice = "Saved." if request.query_params.get("saved") else None
        return await customer_page(lana, viewer, customer_id, notice=notice)

    @post(f"{ID}/status", name="customer-status")
    async def change_status(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        customer_id: FromPath[UUID],
    ) -> Response[Any]:
        """Move the customer along its lifecycle; an illegal move is refused on the page."""

        async def change(form: forms.Form) -> object:
            status = forms.required_choice(CustomerStatus, form, "status")
            command = ChangeCustomerStatus(
                customer_id=customer_id, status=status, expected_version=forms.version(form)
            )
            return await lana.change_customer_status(viewer.actor, command)

        return await _changed(request, lana, viewer, customer_id, change)

    @post(f"{ID}/value", name="customer-value")
    async def change_value(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        customer_id: FromPath[UUID],
    ) -> Response[Any]:
        """Change the customer's value tier."""

        async def change(form: forms.Form) -> object:
            value = forms.required_choice(CustomerValue, form, "value")
            command = ChangeCustomerValue(
                customer_id=customer_id, value=value, expected_version=forms.version(form)
            )
            return await lana.change_customer_value(viewer.actor, command)

        return await _changed(request, lana, viewer, customer_id, change)

    @post(f"{ID}/archive", name="customer-archive")
    async def archive(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        customer_id: FromPath[UUID],
    ) -> Response[Any]:
        """Archive the customer (its history stays)."""
        return await _changed(
            request,
            lana,
            viewer,
            customer_id,
            lambda form: lana.archive_customer(viewer.actor, customer_id, forms.version(form)),
        )

    @post(f"{ID}/restore", name="customer-restore")
    async def restore(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        customer_id: FromPath[UUID],
    ) -> Response[Any]:
        """Bring an archived customer back."""
        return await _changed(
            request,
            lana,
            viewer,
            customer_id,
            lambda form: lana.restore_customer(viewer.actor, customer_id, forms.version(form)),
        )

    @post(f"{ID}/interactions", name="interaction-record")
    async def record_interaction(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        customer_id: FromPath[UUID],
    ) -> Response[Any]:
        """Log a call, email, meeting or note: the button pressed names the kind; without a
        subject, the kind is the subject."""
        form = await request.form()
        try:
            kind = forms.required_choice(InteractionType, form, "type")
            subject = forms.optional(form, "subject") or kind.value.title()
            command = RecordInteraction(
                customer_id=customer_id, type=kind, subject=subject, content=forms.optional(form, "content")
            )
            await lana.record_interaction(viewer.actor, command)
        except (ValidationError, Conflict) as error:
            if is_htmx(request):
                return await _interactions(
                    lana, viewer, customer_id, error=_message(error), status=refusal_status(error)
                )
            return await customer_page(
                lana, viewer, customer_id, error=_message(error), status=refusal_status(error)
            )
        if is_htmx(request):
            return await _interactions(lana, viewer, customer_id, logged=f"{kind.value.title()} logged.")
        return Redirect(f"/customers/{customer_id}#interactions", status_code=303)

    @post(f"{ID}/insight", name="insight-refresh")
    async def refresh_insight(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        customer_id: FromPath[UUID],
    ) -> Response[Any]:
        """Assess the customer again now (the model if one is set up and answers, else the rules)."""
        try:
            insight = await lana.generate_insight(
                viewer.actor, GenerateInsight(customer_id=customer_id, refresh=True)
            )
        except Conflict as error:
            if is_htmx(request):
                latest = await _insight(lana, viewer, customer_id)
                return page(
                    "customers/_insight.html",
                    viewer,
                    status=409,
                    insight=latest,
                    customer_id=customer_id,
                    insight_error=error.message,
                )
            return await customer_page(lana, viewer, customer_id, error=error.message, status=409)
        if is_htmx(request):
            return page("customers/_insight.html", viewer, insight=insight, customer_id=customer_id)
        return Redirect(f"/customers/{customer_id}#insight", status_code=303)

    @post(f"{ID}/projects", name="project-create")
    async def create_project(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        customer_id: FromPath[UUID],
    ) -> Response[Any]:
        """Start a project for the customer."""
        form = await request.form()
        try:
            command = CreateProject(
                customer_id=customer_id,
                title=forms.text(form, "title"),
                description=forms.optional(form, "description"),
                priority=forms.choice(Priority, form, "priority") or Priority.MEDIUM,
                due_date=forms.day(form, "due_date"),
            )
            project = await lana.create_project(viewer.actor, command)
        except ValidationError as error:
            errors = field_errors(error)
            return await customer_page(
                lana, viewer, customer_id, project_errors=errors, project_form=form, status=422
            )
        except Conflict as error:
            return await customer_page(lana, viewer, customer_id, error=error.message, status=409)
        return Redirect(f"/projects/{project.id}", status_code=303)


async def customer_page(
    lana: Lana,
    viewer: Viewer,
    customer_id: UUID,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
    project_errors: dict[str, str] | None = None,
    project_form: forms.Form | None = None,
) -> Template:
    """The customer's page, with a message on top when a change was made or refused."""
    actor = viewer.actor
    view = await lana.get_customer(actor, customer_id)
    # The rest are independent reads: made together, the page waits for the slowest alone.
    timeline, projects, interactions, insight, directory = await asyncio.gather(
        lana.get_timeline(actor, customer_id, PageRequest(limit=TIMELINE_ENTRIES)),
        lana.list_projects(
            actor, ProjectQuery(customer_id=customer_id, page=PageRequest(limit=PROJECTS_SHOWN))
        ),
        lana.list_interactions(actor, customer_id, PageRequest(limit=INTERACTIONS_SHOWN)),
        _insight(lana, viewer, customer_id),
        people(lana, viewer),
    )
    return page(
        "customers/page.html",
        viewer,
        status=status,
        section="customers",
        view=view,
        customer=view.customer,
        timeline=timeline.items,
        projects=projects.items,
        tasks=await _tasks(lana, viewer, projects.items[:PROJECTS_WITH_TASKS]),
        interactions=interactions.items,
        insight=insight,
        people=directory,
        notice=notice,
        error=error,
        project_errors=project_errors or {},
        project_values={
            name: forms.text(project_form or {}, name) for name in ("title", "due_date", "priority")
        },
        today=lana.kernel.clock.now().date(),
        statuses=list(CustomerStatus),
        tiers=list(CustomerValue),
        kinds=list(InteractionType),
        priorities=list(Priority),
    )


async def _tasks(lana: Lana, viewer: Viewer, projects: Any) -> list[tuple[Project, list[Task]]]:
    listed = await asyncio.gather(
        *(
            lana.list_tasks(viewer.actor, TaskQuery(project_id=p.id, page=PageRequest(limit=20)))
            for p in projects
        )
    )
    return [(project, list(tasks.items)) for project, tasks in zip(projects, listed, strict=True)]


async def _insight(lana: Lana, viewer: Viewer, customer_id: UUID) -> Insight | None:
    try:
        return await lana.get_latest_insight(viewer.actor, customer_id)
    except NotFound:
        return None


async def _interactions(
    lana: Lana,
    viewer: Viewer,
    customer_id: UUID,
    *,
    logged: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Template:
    """The interactions section alone, for htmx to swap in after a contact was logged or refused."""
    listed = await lana.list_interactions(viewer.actor, customer_id, PageRequest(limit=INTERACTIONS_SHOWN))
    view = await lana.get_customer(viewer.actor, customer_id)
    return page(
        "customers/_interactions.html",
        viewer,
        status=status,
        interaction_error=error,
        interactions=listed.items,
        customer=view.customer,
        kinds=list(InteractionType),
        logged=logged,
        people=await people(lana, viewer),
    )


async def _changed(
    request: AnyRequest,
    lana: Lana,
    viewer: Viewer,
    customer_id: UUID,
    change: Callable[[forms.Form], Awaitable[object]],
) -> Response[Any]:
    """Make the change the page's form asks for; a refusal (stale version, illegal move) shows
    on the page."""
    form = await request.form()
    try:
        await change(form)
    except (ValidationError, Conflict) as error:
        return await customer_page(
            lana, viewer, customer_id, error=_message(error), status=refusal_status(error)
        )
    return Redirect(f"/customers/{customer_id}?saved=1", status_code=303)


def _message(error: ValidationError | Conflict) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(item.message for item in error.errors)
    if isinstance(error, StaleVersion):
        return (
            "Someone changed this customer meanwhile: nothing was saved. Here it is as it is now; try again."
        )
    return error.message
