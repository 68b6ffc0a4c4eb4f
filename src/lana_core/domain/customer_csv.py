"""Customers as CSV: reading a spreadsheet export row by row, naming its columns' fields,
turning a row into the fields it gives, and writing a customer as a row."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Final

from attrs import frozen

from lana_core.domain.choices import Choice
from lana_core.domain.customers import Customer, CustomerStatus, CustomerValue
from lana_core.domain.validation import JsonScalar
from lana_core.errors import FieldError, InvalidChoice, ValidationError

__all__ = [
    "EXPORT_COLUMNS",
    "FIELDS",
    "Column",
    "ColumnMap",
    "CsvRow",
    "RowFields",
    "UnknownColumns",
    "customer_record",
    "customer_row",
    "header_key",
    "map_columns",
    "parse_row",
    "read_rows",
]

# The fields a column can fill; ``id`` only matches a row to a stored customer.
FIELDS: Final = (
    "id",
    "name",
    "email",
    "phone",
    "company",
    "notes",
    "tags",
    "value",
    "status",
    "owner_id",
    "attributes",
    "external_id",
)
# Read back as given by `customer_row`: an export imports again unchanged.
EXPORT_COLUMNS: Final = FIELDS
IGNORE: Final = "ignore"
ATTRIBUTE_PREFIX: Final = "attributes."

# Header spellings spreadsheets and other CRMs use, by their `header_key`.
_SYNONYMS: Final[Mapping[str, str]] = {
    "customer_id": "id",
    "full_name": "name",
    "customer_name": "name",
    "contact_name": "name",
    "contact": "name",
    "e_mail": "email",
    "mail": "email",
    "email_address": "email",
    "e_mail_address": "email",
    "phone_number": "phone",
    "telephone": "phone",
    "tel": "phone",
    "mobile": "phone",
    "mobile_phone": "phone",
    "company_name": "company",
    "organisation": "company",
    "organization": "company",
    "account": "company",
    "note": "notes",
    "comments": "notes",
    "comment": "notes",
    "tag": "tags",
    "labels": "tags",
    "owner": "owner_id",
    "tier": "value",
    "value_tier": "value",
    "state": "status",
    "stage": "status",
    "ext_id": "external_id",
    "external_key": "external_id",
    "external_reference": "external_id",
}
_NOT_IDENTIFIER = re.compile(r"[^0-9a-z]+")
_TAG_SEPARATOR = re.compile(r"[;,]")
_ENCODING_ERROR = "is not UTF-8 or UTF-16 text: save the file as CSV UTF-8 and retry"


class UnknownColumns(Choice, field="unknown_columns"):
    """What becomes of a column naming no field: an attribute of that name, or a refused file."""

    ATTRIBUTES = "attributes"
    REFUSE = "refuse"


def header_key(header: str) -> str:
    """A header as an identifier: lower case, each run of other characters one underscore."""
    return _NOT_IDENTIFIER.sub("_", header.strip().lower()).strip("_")


@frozen
class Column:
    """One column: its header, and the field (or attribute, named ``attributes.key``) it fills;
    ``None`` when it is ignored."""

    header: str
    target: str | None


@frozen
class ColumnMap:
    columns: tuple[Column, ...]

    def header_of(self, target: str) -> str:
        """The header of the column filling ``target``, or the target itself if none does."""
        return next((c.header for c in self.columns if c.target == target), target)

    def has(self, target: str) -> bool:
        return any(c.target == target for c in self.columns)


def map_columns(headers: Sequence[str], overrides: Mapping[str, str], unknown: UnknownColumns) -> ColumnMap:
    """Name each column's field: an override (matched by header or its key) first, then the
    header's key or a synonym of it. Raises ValidationError naming every unusable column."""
    errors: list[FieldError] = []
    keyed_overrides = {header_key(h): target for h, target in overrides.items()}
    columns = []
    for header in headers:
        target = keyed_overrides.pop(header_key(header), None)
        column = _column(header, target, unknown, errors)
        columns.append(column)
    errors.extend(
        FieldError(f"map.{name}", "unknown_column", "the file has no such column") for name in keyed_overrides
    )
    _refuse_repeated_targets(columns, errors)
    if not any(c.target == "name" for c in columns) and not any(c.target == "email" for c in columns):
        errors.append(FieldError("columns", "required", "the file needs a name or an email column"))
    if errors:
        raise ValidationError(errors)
    return ColumnMap(tuple(columns))


def _column(header: str, target: str | None, unknown: UnknownColumns, errors: list[FieldError]) -> Column:
    if target is not None:
        if target == IGNORE:
            return Column(header, None)
        if target in FIELDS or _attribute_key(target):
            return Column(header, target)
        errors.append(FieldError(f"map.{header}", "unknown_field", f"fields are: {', '.join(FIELDS)}"))
        return Column(header, None)
    key = header_key(header)
    field = key if key in FIELDS else _SYNONYMS.get(key)
    if field is not None:
        return Column(header, field)
    if unknown is UnknownColumns.REFUSE or not key:
        errors.append(FieldError(f"columns.{header}", "unknown_column", "names no customer field"))
        return Column(header, None)
    return Column(header, ATTRIBUTE_PREFIX + key)


def _attribute_key(target: str) -> bool:
    return target.startswith(ATTRIBUTE_PREFIX) and bool(target.removeprefix(ATTRIBUTE_PREFIX))


def _refuse_repeated_targets(columns: Sequence[Column], errors: list[FieldError]) -> None:
    seen: dict[str, str] = {}
    for column in columns:
        if column.target is None:
            continue
        if column.target in seen:
            errors.append(
                FieldError(
                    f"columns.{column.header}",
                    "repeated",
                    f"fills {column.target}, as column {seen[column.target]} does",
                )
            )
        seen.setdefault(column.target, column.header)


@frozen
class CsvRow:
    """One record of the file: the line it ends on, and its cells."""

    line: int
    cells: tuple[str, ...]


def read_rows(source: IO[bytes]) -> Iterator[CsvRow]:
    """The file's records, header first, streamed: UTF-8 with or without a byte-order mark,
    or UTF-16 with one. Blank lines are skipped. Raises ValidationError naming the line of
    text in another encoding, of a record with more or fewer cells than the header, or of
    a malformed record."""
    head = source.read(4)
    reader = csv.reader(_lines(head, source), strict=True)
    width: int | None = None
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise _file_error("encoding", f"line {reader.line_num + 1} {_ENCODING_ERROR}") from None
        except csv.Error as error:
            raise _file_error("malformed", f"line {reader.line_num}: {error}") from None
        if not cells:
            continue
        width = len(cells) if width is None else width
        if len(cells) != width:
            raise _file_error(
                "ragged", f"line {reader.line_num} has {len(cells)} cells where the header has {width}"
            )
        yield CsvRow(reader.line_num, tuple(cells))


def _lines(head: bytes, source: IO[bytes]) -> Iterator[str]:
    """The file's lines as text, each decoded alone so an error names its line (UTF-8 never
    splits a character across lines); UTF-16 is decoded as one stream."""
    stream = io.BufferedReader(_Prefixed(head, source))
    encoding = _encoding(head)
    if encoding == "utf-16":
        yield from io.TextIOWrapper(stream, encoding=encoding, newline="", errors="strict")
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    for number, raw in enumerate(stream, start=1):
        try:
            yield decoder.decode(raw)
        except UnicodeDecodeError:
            raise _file_error("encoding", f"line {number} {_ENCODING_ERROR}") from None


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8"


def _file_error(code: str, message: str) -> ValidationError:
    return ValidationError.single("file", code, message)


class _Prefixed(io.RawIOBase):
    """The bytes already read from a stream, then the rest of it."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._head or self._rest.read(len(buffer))
        self._head = b""
        size = min(len(data), len(buffer))
        buffer[:size] = data[:size]
        self._head = data[size:]
        return size


@frozen
class RowFields:
    """What one row gives: each mapped field's value (a blank cell is ``None``), and the
    problems found, each naming its column. ``attributes`` (from an ``attributes`` column)
    replaces a customer's attributes; ``extra_attributes`` (one column each) are set on top."""

    given: Mapping[str, object]
    extra_attributes: Mapping[str, JsonScalar]
    problems: tuple[FieldError, ...]


class _BadCell(ValueError):
    """A cell that does not hold what its column's field takes; the message says what would."""


def parse_row(columns: ColumnMap, row: CsvRow) -> RowFields:
    """The fields of ``row`` in the types commands take."""
    given: dict[str, object] = {}
    extra: dict[str, JsonScalar] = {}
    problems: list[FieldError] = []
    for column, cell in zip(columns.columns, row.cells, strict=True):
        target, value = column.target, cell.strip()
        if target is None:
            continue
        if target.startswith(ATTRIBUTE_PREFIX):
            if value:
                extra[target.removeprefix(ATTRIBUTE_PREFIX)] = value
            continue
        try:
            given[target] = _typed(target, value)
        except InvalidChoice as error:
            problems.append(FieldError(column.header, "invalid_choice", error.errors[0].message))
        except _BadCell as error:
            problems.append(FieldError(column.header, "invalid", str(error)))
    return RowFields(given, extra, tuple(problems))


def _typed(target: str, value: str) -> object:
    if target == "tags":
        return tuple(tag.strip() for tag in _TAG_SEPARATOR.split(value) if tag.strip())
    if target == "attributes":
        return _attributes(value)
    if not value:
        return None
    if target == "value":
        return CustomerValue(value)
    if target == "status":
        return CustomerStatus(value)
    if target in ("id", "owner_id"):
        try:
            return uuid.UUID(value)
        except ValueError:
            raise _BadCell("must be a UUID") from None
    return value


def _attributes(value: str) -> dict[str, JsonScalar]:
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise _BadCell("must be a JSON object, as an export writes it")
    return parsed


def customer_row(customer: Customer) -> list[str]:
    """``customer`` as cells under ``EXPORT_COLUMNS``."""
    return [
        str(customer.id),
        customer.name,
        customer.email or "",
        customer.phone or "",
        customer.company or "",
        customer.notes or "",
        ";".join(customer.tags),
        customer.value.value,
        customer.status.value,
        "" if customer.owner_id is None else str(customer.owner_id),
        json.dumps(dict(customer.attributes), sort_keys=True) if customer.attributes else "",
        customer.external_id or "",
    ]


def customer_record(customer: Customer) -> dict[str, object]:
    """``customer`` under ``EXPORT_COLUMNS`` as JSON-safe values (tags a list, attributes an object)."""
    return {
        "id": str(customer.id),
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "company": customer.company,
        "notes": customer.notes,
        "tags": list(customer.tags),
        "value": customer.value.value,
        "status": customer.status.value,
        "owner_id": None if customer.owner_id is None else str(customer.owner_id),
        "attributes": dict(customer.attributes),
        "external_id": customer.external_id,
    }
