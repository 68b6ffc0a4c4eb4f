"""What both import routes (at once, and as a job) take: the options in the query, a CSV file
as the body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar.di import Provide
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Parameter, RequestBody, Schema
from litestar.params import FromQuery
from msgspec import Meta

from lana_core.domain.customer_csv import UnknownColumns
from lana_core.errors import FieldError
from lana_core.usecases.customer_import import ImportCustomers, ImportMatch, ImportMode
from lana_http.problems import invalid_request

# ``COLUMN=FIELD``: a column (no "=" in it) and the field it fills, neither blank.
_MAPPING_PATTERN = r"^[^=]*[^=\s][^=]*=.*\S.*$"
Mapping = Annotated[str, Meta(pattern=_MAPPING_PATTERN)]


@dataclass
class ImportOperation(Operation):
    """The import's body in the OpenAPI document: a CSV file, which no JSON schema describes."""

    def __post_init__(self) -> None:
        content = {"text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))}
        self.request_body = RequestBody(content=content, required=True, description="A CSV file")
        # The pattern of each ``map`` item, which the generated schema leaves out.
        mapping = Schema(type=OpenAPIType.STRING, pattern=_MAPPING_PATTERN)
        for parameter in self.parameters or []:
            if isinstance(parameter, Parameter) and parameter.name == "map":
                parameter.schema = Schema(
                    one_of=[Schema(type=OpenAPIType.ARRAY, items=mapping), Schema(type=OpenAPIType.NULL)]
                )


def import_options(
    *,
    mode: FromQuery[ImportMode] = ImportMode.CREATE,
    match: FromQuery[ImportMatch] = ImportMatch.EMAIL,
    map: FromQuery[list[Mapping] | None] = None,
    unknown_columns: FromQuery[UnknownColumns] = UnknownColumns.ATTRIBUTES,
    dry_run: FromQuery[bool] = False,
    skip_invalid: FromQuery[bool] = False,
) -> ImportCustomers:
    """The import the query parameters of an import route ask for; raises 400 for a bad ``map``."""
    return ImportCustomers(
        mode=mode,
        match=match,
        columns=mappings(map or []),
        unknown_columns=unknown_columns,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
    )


# Handlers name the import ``command``.
IMPORT_OPTIONS = {"command": Provide(import_options, sync_to_thread=False)}


def mappings(given: list[str]) -> dict[str, str]:
    mapped: dict[str, str] = {}
    for item in given:
        column, sep, field = item.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise invalid_request([FieldError("map", "invalid", f"{item!r}: expected COLUMN=FIELD")])
        mapped[column.strip()] = field.strip()
    return mapped
