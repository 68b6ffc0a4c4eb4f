"""Customers in bulk from the pages: export the list's matches as CSV, import a CSV file as a
job (the same use cases as ``/api/v1/customers/imports``) and watch it run."""

from __future__ import annotations

from typing import IO, Any
from uuid import UUID

from litestar import Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Stream, Template

from lana_core.app import Lana
from lana_core.domain.customer_csv import UnknownColumns
from lana_core.domain.import_jobs import ImportStatus
from lana_core.domain.policy import Action, Resource, authorize
from lana_core.errors import ValidationError
from lana_core.usecases.customer_import import ImportCustomers, ImportMatch, ImportMode
from lana_http.controllers.customer_transfer import csv_lines
from lana_http.controllers.events_stream import EVENT_STREAM_KEY
from lana_http.controllers.import_jobs import refused_lines, run_import
from lana_http.runtime import Runtime
from lana_http.web import forms
from lana_http.web.context import Viewer, is_htmx, page
from lana_http.web.controllers._base import AnyRequest, PageController, field_errors
from lana_http.web.controllers.customers import list_query

_IMPORT_FIELDS = ("mode", "match", "unknown_columns")
_CHECKS = ("skip_invalid", "dry_run")
_FINISHED = frozenset({ImportStatus.COMPLETED, ImportStatus.FAILED})


class CustomerTransferController(PageController):
    path = "/customers"

    @get("/export.csv", name="customers-export")
    async def export(
        self, *, request: AnyRequest, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]
    ) -> Stream:
        """Every customer the list's filters match (all pages), as the API's CSV export."""
        query = list_query(request.query_params, viewer)
        customers = await lana.export_customers(viewer.actor, query)
        headers = {"Content-Disposition": 'attachment; filename="customers.csv"'}
        return Stream(csv_lines(customers), media_type="text/csv", headers=headers)

    @get("/import", name="customers-import")
    async def import_form(self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]) -> Template:
        """The form to upload a CSV file and choose how its rows apply."""
        return await _import_form(lana, viewer, values={"mode": "create", "match": "email"})

    # The file's own bound (LANA_IMPORT_MAX_BYTES) applies instead of the body's: see _upload.
    @post("/import", name="customers-import-start", request_max_body_size=None)
    async def start_import(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        runtime: NamedDependency[Runtime],
    ) -> Response[Any]:
        """Queue the import and run it after the answer; the browser goes to the job's page."""
        limit = runtime.http.import_max_bytes
        if int(request.headers.get("content-length") or limit + 1) > limit:
            message = f"the file must be at most {limit:,} bytes"
            return await _import_form(lana, viewer, values={}, errors={"file": message}, status=413)
        form = await request.form()
        try:
            command = _command(form)
            source = _upload(form)
            try:
                job = await lana.queue_customer_import(viewer.actor, command, source)
            except BaseException:
                source.close()
                raise
        except ValidationError as error:
            return await _import_form(lana, viewer, values=form, errors=_errors(error), status=422)
        stream = request.app.state.get(EVENT_STREAM_KEY)
        return Redirect(
            f"/customers/imports/{job.id}",
            status_code=303,
            background=BackgroundTask(run_import, lana, viewer.actor, job, source, stream),
        )

    @get("/imports/{job_id:uuid}", name="customers-import-job")
    async def job(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        job_id: FromPath[UUID],
    ) -> Template:
        """The job's status and counts; htmx asks again every second until it has finished."""
        job = await lana.get_import_job(viewer.actor, job_id)
        context: dict[str, Any] = {"job": job, "finished": job.status in _FINISHED}
        if is_htmx(request):
            return page("customers/_import_status.html", viewer, **context)
        return page("customers/import_job.html", viewer, section="customers", **context)

    @get("/imports/{job_id:uuid}/refused.csv", name="customers-import-refused")
    async def refused(
        self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer], job_id: FromPath[UUID]
    ) -> Stream:
        """The rows the job refused, under the file's header, with each row's line and error."""
        job, refusals = await lana.import_refusals(viewer.actor, job_id)
        disposition = f'attachment; filename="import-{job.id}-refused.csv"'
        lines = refused_lines(job.headers, refusals)
        return Stream(lines, media_type="text/csv", headers={"Content-Disposition": disposition})


def _command(form: forms.Form) -> ImportCustomers:
    return ImportCustomers(
        mode=forms.required_choice(ImportMode, form, "mode"),
        match=forms.required_choice(ImportMatch, form, "match"),
        unknown_columns=forms.choice(UnknownColumns, form, "unknown_columns") or UnknownColumns.ATTRIBUTES,
        dry_run=forms.text(form, "dry_run") == "on",
        skip_invalid=forms.text(form, "skip_invalid") == "on",
    )


def _upload(form: forms.Form) -> IO[bytes]:
    """The uploaded file, spooled to disk by the form's parser; the job closes it."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationError.single("file", "required", "choose a CSV file")
    upload.file.seek(0)
    return upload.file


def _errors(error: ValidationError) -> dict[str, str]:
    """The core's errors beside the form's fields; one about the file's content (its header,
    a column) beside the file."""
    found = field_errors(error)
    shown = {name: message for name, message in found.items() if name in (*_IMPORT_FIELDS, "file")}
    rest = "; ".join(f"{name}: {message}" for name, message in found.items() if name not in shown)
    if rest:
        shown["file"] = "; ".join(part for part in (shown.get("file"), rest) if part)
    return shown


async def _import_form(
    lana: Lana,
    viewer: Viewer,
    *,
    values: forms.Form,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    # Importing creates customers: the roles the core lets create them see the form.
    tenant = await lana.get_tenant(viewer.actor)
    authorize(viewer.actor, Action.CREATE, Resource.CUSTOMER, settings=tenant.settings)
    shown: dict[str, Any] = {name: forms.text(values, name) for name in (*_IMPORT_FIELDS, *_CHECKS)}
    return page(
        "customers/import.html",
        viewer,
        status=status,
        section="customers",
        values=shown,
        errors=errors or {},
        modes=[(mode.value, mode.value.capitalize()) for mode in ImportMode],
        matches=[("email", "Email"), ("external_id", "External id")],
        unknown=[
            (UnknownColumns.ATTRIBUTES.value, "Keep as attributes"),
            (UnknownColumns.REFUSE.value, "Refuse the file"),
        ],
    )
