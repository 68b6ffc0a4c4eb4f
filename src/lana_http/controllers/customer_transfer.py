"""Customers in bulk: export every match of the list's filters as CSV or JSON lines, import a CSV file."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import FromQuery
from litestar.response import Stream

from lana_core.app import Lana
from lana_core.domain.customer_csv import EXPORT_COLUMNS, customer_record, customer_row
from lana_core.domain.customers import Customer
from lana_core.domain.queries import CustomerQuery
from lana_core.domain.tenancy import Actor
from lana_core.errors import FieldError, ValidationError
from lana_core.usecases.customer_import import ImportCustomers, ImportReport, RowOutcome
from lana_http.controllers._common import API
from lana_http.controllers.customer_filters import CUSTOMER_FILTERS
from lana_http.controllers.import_options import IMPORT_OPTIONS, ImportOperation
from lana_http.problems import READ, WRITE, documented
from lana_http.schemas.base import Out

# The file is spooled to disk past this size while it is received.
_SPOOL_IN_MEMORY = 1_048_576
_MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/jsonl"}
_TEXT = Schema(type=OpenAPIType.STRING)


@dataclass
class _ExportOperation(Operation):
    """The export's answer in the OpenAPI document: a file in either format, not JSON."""

    def __post_init__(self) -> None:
        content = {media_type: OpenAPIMediaType(schema=_TEXT) for media_type in _MEDIA_TYPES.values()}
        ok = OpenAPIResponse(description="Every matching customer, one per line", content=content)
        self.responses = {**(self.responses or {}), "200": ok}


class ImportProblemOut(Out):
    column: str
    message: str


class ImportRefusalOut(Out):
    """A refused row: its line in the file, its cells, and why, column by column."""

    line: int
    cells: list[str]
    problems: list[ImportProblemOut]

    @classmethod
    def of(cls, row: RowOutcome) -> ImportRefusalOut:
        problems = [ImportProblemOut(column=column, message=message) for column, message in row.problems]
        return cls(line=row.line, cells=list(row.cells), problems=problems)


class ImportOut(Out):
    """What an import did (or, for a dry run, would do); ``refusals`` lists the first 1,000
    refused rows."""

    import_id: UUID
    applied: bool
    created: int
    updated: int
    unchanged: int
    refused: int
    refusals: list[ImportRefusalOut]

    @classmethod
    def of(cls, report: ImportReport) -> ImportOut:
        return cls(
            import_id=report.import_id,
            applied=report.applied,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            refused=report.refused,
            refusals=[ImportRefusalOut.of(row) for row in report.refusals],
        )


class CustomerTransferController(Controller):
    """Customers in bulk, as files."""

    path = f"{API}/customers"
    tags = ("customers",)

    @get(
        "/export",
        operation_id="exportCustomers",
        responses=documented(*READ),
        operation_class=_ExportOperation,
        dependencies=CUSTOMER_FILTERS,
    )
    async def export_customers(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        filters: NamedDependency[CustomerQuery],
        format: FromQuery[Literal["csv", "jsonl"]] = "csv",
    ) -> Stream:
        """Every customer matching the list's filters, streamed a page at a time: CSV (which
        `POST /customers/import` reads back unchanged) or JSON lines."""
        customers = await lana.export_customers(actor, filters)
        lines = csv_lines(customers) if format == "csv" else _jsonl_lines(customers)
        disposition = f'attachment; filename="customers.{format}"'
        return Stream(lines, media_type=_MEDIA_TYPES[format], headers={"Content-Disposition": disposition})

    @post(
        "/import",
        operation_id="importCustomers",
        status_code=200,
        responses=documented(*WRITE),
        operation_class=ImportOperation,
        dependencies=IMPORT_OPTIONS,
    )
    async def import_customers(
        self,
        *,
        request: Request[Any, Any, Any],
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        command: NamedDependency[ImportCustomers],
    ) -> ImportOut:
        """Import customers from the CSV file sent as the body (`text/csv`, at most
        `LANA_MAX_BODY_BYTES`), all rows or none: a refused row refuses the file with 422,
        naming each refused row as `rows[LINE].COLUMN`, unless `skip_invalid=true`.
        `dry_run=true` answers what an import would do, writing nothing."""
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spooled:
            async for chunk in request.stream():
                spooled.write(chunk)
            spooled.seek(0)
            report = await lana.import_customers(actor, command, spooled)
        if not report.applied and not command.dry_run:
            raise ValidationError(_refusals(report))
        return ImportOut.of(report)


async def csv_lines(customers: AsyncIterator[Customer]) -> AsyncIterator[str]:
    yield _csv_line(EXPORT_COLUMNS)
    async for customer in customers:
        yield _csv_line(customer_row(customer))


def _csv_line(cells: Any) -> str:
    text = io.StringIO()
    csv.writer(text).writerow(cells)
    return text.getvalue()


async def _jsonl_lines(customers: AsyncIterator[Customer]) -> AsyncIterator[str]:
    async for customer in customers:
        yield json.dumps(customer_record(customer), ensure_ascii=False) + "\n"


def _refusals(report: ImportReport) -> list[FieldError]:
    return [
        FieldError(f"rows[{row.line}].{column}", "refused", message)
        for row in report.refusals
        for column, message in row.problems
    ]
