"""``lana import customers`` and ``lana export customers``: customers from and to CSV files,
signed in as an admin of the tenant."""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import click

from lana_core.app import Lana
from lana_core.domain.customer_csv import (
    EXPORT_COLUMNS,
    UnknownColumns,
    customer_record,
    customer_row,
    read_rows,
)
from lana_core.domain.customers import Customer
from lana_core.domain.queries import Archived, CustomerQuery
from lana_core.domain.tenancy import Actor
from lana_core.usecases.customer_import import (
    ImportCustomers,
    ImportMatch,
    ImportMode,
    ImportReport,
    Outcome,
    RowOutcome,
)
from lana_http.cli._admin import as_admin, signed_in_as_admin
from lana_http.cli._errors import CommandFailed

_SHOWN_REFUSALS = 20
_PROGRESS_EVERY = 1.0  # seconds between two progress lines


@click.group("import")
def import_group() -> None:
    """Import records from files."""


@click.group("export")
def export_group() -> None:
    """Export records to files."""


@import_group.command("customers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mode",
    type=click.Choice([m.value for m in ImportMode], case_sensitive=False),
    default="create",
    show_default=True,
    help="create refuses known emails, update refuses unknown ones, upsert does both.",
)
@click.option(
    "--match",
    type=click.Choice([m.value for m in ImportMatch]),
    default="email",
    show_default=True,
    help="How a row finds its customer (an exported file's id column is used first).",
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Name the field of a column (repeatable); FIELD may be attributes.KEY or ignore.",
)
@click.option(
    "--unknown-columns",
    type=click.Choice([u.value for u in UnknownColumns]),
    default="attributes",
    show_default=True,
    help="What a column naming no field becomes.",
)
@click.option("--dry-run", is_flag=True, help="Report what would happen; write nothing.")
@click.option(
    "--skip-invalid", is_flag=True, help="Apply the valid rows; write the refused ones to --rejects."
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where --skip-invalid writes refused rows [default: FILE.rejected.csv].",
)
@signed_in_as_admin
def import_customers(
    *,
    file: Path,
    mode: str,
    match: str,
    mappings: tuple[str, ...],
    unknown_columns: str,
    dry_run: bool,
    skip_invalid: bool,
    rejects: Path | None,
    tenant: str | None,
    admin_email: str | None,
) -> None:
    """Create or update customers from a CSV file (UTF-8 or UTF-16), all rows or none."""
    command = ImportCustomers(
        mode=mode,
        match=match,
        columns=_mappings(mappings),
        unknown_columns=unknown_columns,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
    )
    rejects_path = rejects or file.with_name(f"{file.stem}.rejected.csv")
    with file.open("rb") as source, _RowSink(file, source, rejects_path if skip_invalid else None) as sink:

        async def work(lana: Lana, admin: Actor) -> ImportReport:
            return await lana.import_customers(admin, command, source, sink.add)

        report = as_admin(tenant, admin_email, work)
    _summarise(report, dry_run=dry_run, rejects=rejects_path if skip_invalid and report.refused else None)


@export_group.command("customers")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The file to write [default: stdout].",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--status", default=None, help="Only customers of this status.")
@click.option("--value", default=None, help="Only customers of this value tier.")
@click.option("--tag", default=None, help="Only customers with this tag.")
@click.option("--search", default=None, help="Only customers whose name, email or company holds this text.")
@click.option(
    "--archived", type=click.Choice([a.value for a in Archived]), default="exclude", show_default=True
)
@signed_in_as_admin
def export_customers(
    *,
    output: Path | None,
    fmt: str,
    status: str | None,
    value: str | None,
    tag: str | None,
    search: str | None,
    archived: str,
    tenant: str | None,
    admin_email: str | None,
) -> None:
    """Write every matching customer as CSV (which `lana import customers` reads back) or JSON lines."""
    query = CustomerQuery(status=status, value=value, tag=tag, text=search, archived=archived)
    target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        write = _csv_writer(target) if fmt == "csv" else _jsonl_writer(target)

        async def work(lana: Lana, admin: Actor) -> int:
            count = 0
            async for customer in await lana.export_customers(admin, query):
                write(customer)
                count += 1
            return count

        count = as_admin(tenant, admin_email, work)
    finally:
        if output:
            target.close()
    click.echo(f"exported {count} customer(s)", err=True)


def _csv_writer(target: IO[str]) -> Callable[[Customer], object]:
    writer = csv.writer(target)
    writer.writerow(EXPORT_COLUMNS)
    return lambda customer: writer.writerow(customer_row(customer))


def _jsonl_writer(target: IO[str]) -> Callable[[Customer], object]:
    return lambda customer: target.write(json.dumps(customer_record(customer), ensure_ascii=False) + "\n")


def _mappings(given: tuple[str, ...]) -> dict[str, str]:
    mapped: dict[str, str] = {}
    for item in given:
        column, sep, field = item.partition("=")
        if not sep or not column.strip() or not field.strip():
            raise CommandFailed(f"--map {item!r}: expected COLUMN=FIELD")
        mapped[column.strip()] = field.strip()
    return mapped


class _RowSink:
    """Counts rows for the progress line (rows/s, share of the file read, time left); with a
    path, writes refused rows there as CSV, with an ``error`` column, as they come."""

    def __init__(self, source: Path, reading: IO[bytes], path: Path | None) -> None:
        self._source = source
        self._reading = reading
        self._size = max(source.stat().st_size, 1)
        self._path = path
        self._file: IO[str] | None = None
        self._writer: Any = None
        self._rows = 0
        self._started = time.monotonic()
        self._shown = self._started

    def _headers(self) -> tuple[str, ...]:
        # The source was read this far, so its header line is known to be sound.
        with self._source.open("rb") as source:
            return next(read_rows(source)).cells

    def __enter__(self) -> _RowSink:
        return self

    def __exit__(self, *_: object) -> None:
        if self._file is not None:
            self._file.close()

    def add(self, row: RowOutcome) -> None:
        self._rows += 1
        now = time.monotonic()
        if now - self._shown >= _PROGRESS_EVERY:
            self._shown = now
            click.echo(f"\r{self._progress(now - self._started)}", err=True, nl=False)
        if row.outcome is Outcome.REFUSED and self._path is not None:
            if self._writer is None:
                self._file = self._path.open("w", encoding="utf-8", newline="")
                self._writer = csv.writer(self._file)
                self._writer.writerow([*self._headers(), "error"])
            self._writer.writerow([*row.cells, _problems(row)])

    def _progress(self, elapsed: float) -> str:
        """``1200 rows, 850 rows/s, 35%, 0:00:12 left``: the share is of the bytes read so far
        (the reader runs a little ahead of the rows judged), the time left extrapolates it."""
        done = min(self._reading.tell() / self._size, 1.0)
        left = elapsed * (1 - done) / done if done > 0 else 0.0
        width = 20
        bar = "#" * round(done * width)
        return (
            f"[{bar:<{width}}] {done:4.0%} {self._rows} rows, {self._rows / elapsed:.0f} rows/s,"
            f" {_clock(left)} left"
        )


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02}:{whole % 60:02}"


def _problems(row: RowOutcome) -> str:
    return "; ".join(f"{column}: {message}" for column, message in row.problems)


def _summarise(report: ImportReport, *, dry_run: bool, rejects: Path | None) -> None:
    click.echo("\r", err=True, nl=False)
    for refusal in report.refusals[:_SHOWN_REFUSALS]:
        click.echo(f"line {refusal.line}: {_problems(refusal)}", err=True)
    counts = (
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.refused} refused"
    )
    if dry_run:
        click.echo(f"dry run, nothing written: would be {counts}")
    elif not report.applied:
        raise CommandFailed(
            f"nothing imported: {report.refused} row(s) refused ({counts}); see the lines above"
        )
    else:
        click.echo(f"imported ({counts}); import {report.import_id}")
    if rejects is not None:
        click.echo(f"refused rows written to {rejects}", err=True)
