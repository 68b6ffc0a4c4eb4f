"""Customers in bulk: export every match of the list's filters as CSV or JSON lines, import a CSV file."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)
from litestar.params import FromQuery
from litestar.response import Stream
from msgspec import Meta

from lana_core.app import Lana
from lana_core.domain.customer_csv import EXPORT_COLUMNS, UnknownColumns, customer_record, customer_row
from lana_core.domain.customers import Customer, CustomerStatus, CustomerValue
from lana_core.domain.pagination import SortOrder
from lana_core.domain.queries import Archived, CustomerQuery, CustomerSort
from lana_core.domain.tenancy import Actor
from lana_core.errors import FieldError, ValidationError
from lana_core.usecases.customer_import import (
    ImportCustomers,
    ImportMatch,
    ImportMode,
    ImportReport,
    RowOutcome,
)
from lana_http.controllers._common import API, TextFilter, TimeFilter, aware
from lana_http.problems import READ, WRITE, documented, invalid_request
from lana_http.schemas.base import Out

# The file is spooled to disk past this size while it is received.
_SPOOL_IN_MEMORY = 1_048_576
# ``COLUMN=FIELD``: a column (no "=" in it) and the field it fills, neither blank.
_MAPPING_PATTERN = r"^[^=]*[^=\s][^=]*=.*\S.*$"
Mapping = Annotated[str, Meta(pattern=_MAPPING_PATTERN)]
_MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/jsonl"}
_TEXT = Schema(type=OpenAPIType.STRING)


@dataclass
class _ExportOperation(Operation):
    """The export's answer in the OpenAPI document: a file in either format, not JSON."""

    def __post_init__(self) -> None:
        content = {media_type: OpenAPIMediaType(schema=_TEXT) for media_type in _MEDIA_TYPES.values()}
        ok = OpenAPIResponse(description="Every matching customer, one per line", content=content)
        self.responses = {**(self.responses or {}), "200": ok}


@dataclass
class ImportOperation(Operation):
    """The import's body in the OpenAPI document: a CSV file, which no JSON schema describes."""

    def __post_init__(self) -> None:
        content = {"text/csv": OpenAPIMediaType(schema=_TEXT)}
        self.request_body = RequestBody(content=content, required=True, description="A CSV file")
        # The pattern of each ``map`` item, which the generated schema leaves out.
        mapping = Schema(type=OpenAPIType.STRING, pattern=_MAPPING_PATTERN)
        for parameter in self.parameters or []:
            if isinstance(parameter, Parameter) and parameter.name == "map":
                parameter.schema = Schema(
                    one_of=[Schema(type=OpenAPIType.ARRAY, items=mapping), Schema(type=OpenAPIType.NULL)]
                )


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
    )
    async def export_customers(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        format: FromQuery[Literal["csv", "jsonl"]] = "csv",
        status: FromQuery[CustomerStatus | None] = None,
        value: FromQuery[CustomerValue | None] = None,
        tag: TextFilter = None,
        owner_id: FromQuery[UUID | None] = None,
        q: TextFilter = None,
        created_after: TimeFilter = None,
        created_before: TimeFilter = None,
        archived: FromQuery[Archived] = Archived.EXCLUDE,
        sort: FromQuery[CustomerSort] = CustomerSort.CREATED_AT,
        order: FromQuery[SortOrder] = SortOrder.DESC,
    ) -> Stream:
        """Every customer matching the list's filters, streamed a page at a time: CSV (which
        `POST /customers/import` reads back unchanged) or JSON lines."""
        query = CustomerQuery(
            status=status,
            value=value,
            tag=tag,
            owner_id=owner_id,
            text=q,
            created_after=aware(created_after, "created_after"),
            created_before=aware(created_before, "created_before"),
            archived=archived,
            sort=sort,
            order=order,
        )
        customers = await lana.export_customers(actor, query)
        lines = csv_lines(customers) if format == "csv" else _jsonl_lines(customers)
        disposition = f'attachment; filename="customers.{format}"'
        return Stream(lines, media_type=_MEDIA_TYPES[format], headers={"Content-Disposition": disposition})

    @post(
        "/import",
        operation_id="importCustomers",
        status_code=200,
        responses=documented(*WRITE),
        operation_class=ImportOperation,
    )
    async def import_customers(
        self,
        *,
        request: Request[Any, Any, Any],
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        mode: FromQuery[ImportMode] = ImportMode.CREATE,
        match: FromQuery[ImportMatch] = ImportMatch.EMAIL,
        map: FromQuery[list[Mapping] | None] = None,
        unknown_columns: FromQuery[UnknownColumns] = UnknownColumns.ATTRIBUTES,
        dry_run: FromQuery[bool] = False,
        skip_invalid: FromQuery[bool] = False,
    ) -> ImportOut:
        """Import customers from the CSV file sent as the body (`text/csv`, at most
        `LANA_MAX_BODY_BYTES`), all rows or none: a refused row refuses the file with 422,
        naming each refused row as `rows[LINE].COLUMN`, unless `skip_invalid=true`.
        `dry_run=true` answers what an import would do, writing nothing."""
        command = import_command(
            mode, match, map, unknown_columns, dry_run=dry_run, skip_invalid=skip_invalid
        )
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spooled:
            async for chunk in request.stream():
                spooled.write(chunk)
            spooled.seek(0)
            report = await lana.import_customers(actor, command, spooled)
        if not report.applied and not dry_run:
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


def import_command(
    mode: ImportMode,
    match: ImportMatch,
    given_mappings: list[str] | None,
    unknown_columns: UnknownColumns,
    *,
    dry_run: bool,
    skip_invalid: bool,
) -> ImportCustomers:
    """The import the query parameters of an import route ask for; raises 400 for a bad ``map``."""
    return ImportCustomers(
        mode=mode,
        match=match,
        columns=mappings(given_mappings or []),
        unknown_columns=unknown_columns,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
    )


def mappings(given: list[str]) -> dict[str, str]:
    mapped: dict[str, str] = {}
    for item in given:
        column, sep, field = item.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise invalid_request([FieldError("map", "invalid", f"{item!r}: expected COLUMN=FIELD")])
        mapped[column.strip()] = field.strip()
    return mapped


def _refusals(report: ImportReport) -> list[FieldError]:
    return [
        FieldError(f"rows[{row.line}].{column}", "refused", message)
        for row in report.refusals
        for column, message in row.problems
    ]
