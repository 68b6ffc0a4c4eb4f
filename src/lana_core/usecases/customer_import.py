"""Import customers from a CSV file: create, update or upsert them row by row, all or none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import IO, Any, Final
from uuid import UUID

from attrs import evolve, field, frozen

from lana_core.domain import events
from lana_core.domain.choices import Choice
from lana_core.domain.customer_csv import ColumnMap, CsvRow, UnknownColumns, map_columns, read_rows
from lana_core.domain.policy import Action, Resource
from lana_core.domain.tenancy import Actor
from lana_core.errors import ValidationError
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import UseCase, authorize_in
from lana_core.usecases._import_rows import KEYS, Outcome, RowPlanner
from lana_core.usecases._recording import Change
from lana_core.usecases._unit import ChangeUnit
from lana_core.usecases.customer_batch import MAX_CUSTOMERS_PER_BATCH, add_customers

__all__ = [
    "MAX_LISTED_REFUSALS",
    "ImportCustomers",
    "ImportCustomersHandler",
    "ImportMatch",
    "ImportMode",
    "ImportReport",
    "Outcome",
    "RowOutcome",
    "UnknownColumns",
    "authorize_import",
    "check_header",
]

# A report lists this many refused rows; every refused row still reaches ``on_row``.
MAX_LISTED_REFUSALS: Final = 1_000


class ImportMode(Choice, field="mode"):
    CREATE = "create"
    UPDATE = "update"
    UPSERT = "upsert"


class ImportMatch(Choice, field="match"):
    """The field a row without a stored customer's ``id`` is matched by."""

    EMAIL = "email"
    EXTERNAL_ID = "external_id"


@frozen(kw_only=True)
class ImportCustomers:
    """``columns`` maps a header to a field (``email``, ``attributes.source``, ``ignore``) where
    the header alone does not say it. ``dry_run`` reports what a run would do, writing nothing;
    ``skip_invalid`` applies the valid rows when some are refused (otherwise none is applied)."""

    mode: ImportMode = field(default=ImportMode.CREATE, converter=ImportMode)
    match: ImportMatch = field(default=ImportMatch.EMAIL, converter=ImportMatch)
    columns: Mapping[str, str] = field(factory=dict)
    unknown_columns: UnknownColumns = field(default=UnknownColumns.ATTRIBUTES, converter=UnknownColumns)
    dry_run: bool = False
    skip_invalid: bool = False
    chunk_size: int = MAX_CUSTOMERS_PER_BATCH
    # The id the import's events carry; a job's own id when the import runs as one.
    import_id: UUID | None = None


@frozen(kw_only=True)
class RowOutcome:
    """What became (or would become) of one row; ``problems`` pairs a column with why it was refused."""

    line: int
    outcome: Outcome
    customer_id: UUID | None
    problems: tuple[tuple[str, str], ...]
    cells: tuple[str, ...]


@frozen(kw_only=True)
class ImportReport:
    """The counts of one import; ``applied`` is false for a dry run or a refused file."""

    import_id: UUID
    applied: bool
    created: int
    updated: int
    unchanged: int
    refused: int
    refusals: tuple[RowOutcome, ...]
    headers: tuple[str, ...]

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged + self.refused


class ImportCustomersHandler(UseCase):
    """Import customers from a CSV file streamed from ``source``.

    Rules: headers name fields in any case and spelling (``E-mail``, ``Company name``) unless
    ``columns`` says otherwise; a column naming no field becomes an attribute, or refuses
    the file. Each row follows the single create's or update's rules; rows match stored
    customers by ``id`` when the file has one (an export does), else by ``match`` (email or
    external id). ``create`` refuses a taken key, ``update`` a row matching nobody, every
    mode a row giving an email or external id another customer holds; a row that would change
    nothing writes nothing. The whole file is one transaction, walked in chunks: applied
    entirely, or not at all when any row is refused (unless ``skip_invalid``). Changes are
    recorded as their use cases record them, each event's payload naming the import, and
    one ``import.completed`` event sums it up (an import changing nothing writes nothing).
    Raises ValidationError (unreadable file or columns), PermissionDenied, Conflict (a
    concurrent change took an email meanwhile).
    """

    __slots__ = ()

    async def __call__(
        self,
        actor: Actor,
        command: ImportCustomers,
        source: IO[bytes],
        on_row: Callable[[RowOutcome], None] | None = None,
        after_chunk: Callable[[], Awaitable[None]] | None = None,
    ) -> ImportReport:
        """``after_chunk`` is awaited after each chunk of rows, inside the import's transaction
        (a caller reports progress from it, in a unit of work of its own)."""
        rows = read_rows(source)
        header, columns = _header(rows, command)
        tally = _Tally(import_id=command.import_id or self._id(), on_row=on_row)
        async with self._kernel.change(actor.tenant_id) as unit:
            await authorize_import(unit.uow, actor, command.mode)
            planner = RowPlanner(
                uow=unit.uow,
                actor=actor,
                mode=command.mode.value,
                columns=columns,
                now=self._now(),
                phones=self._kernel.phones,
                match=command.match.value,
            )
            for chunk in _chunks(rows, columns, command.chunk_size):
                await self._apply(unit, actor, planner, chunk, tally)
                if after_chunk is not None:
                    await after_chunk()
            applied = not command.dry_run and (command.skip_invalid or tally.refused == 0)
            # An import that changes nothing writes nothing, not even its summary; what is
            # not committed is rolled back when the block is left.
            if applied and tally.changed:
                await self._complete(unit, actor, tally)
                await unit.commit()
        return tally.report(applied, header.cells)

    async def _apply(
        self, unit: ChangeUnit, actor: Actor, planner: RowPlanner, chunk: list[CsvRow], tally: _Tally
    ) -> None:
        """Apply the chunk's valid rows in ``unit``, even in a dry run or a refused file: later
        rows are then judged against them; only the commit is held back."""
        plans = await planner.plan(chunk)
        extra = {"import_id": str(tally.import_id)}
        creates = [p for p in plans if p.create is not None]
        made = (
            await add_customers(
                unit,
                self._kernel,
                actor,
                [p.create for p in creates if p.create is not None],
                [p.details for p in creates if p.details is not None],
                now=planner.now,
                payload_extra=extra,
            )
            if creates
            else ()
        )
        ids = iter(customer.id for customer in made)
        updates = [change for p in plans for change in p.changes]
        for _, customer in updates:
            await unit.uow.customers.update(customer)
        if updates:
            await unit.record(actor, planner.now, *(_with_extra(c, extra) for c, _ in updates))
        for plan in plans:
            customer_id = next(ids) if plan.create is not None else plan.customer_id
            tally.add(plan.row, plan.outcome, customer_id, plan.problems)

    async def _complete(self, unit: ChangeUnit, actor: Actor, tally: _Tally) -> None:
        summary = tally.summary()
        completed = Change(
            event_type=events.IMPORT_COMPLETED,
            aggregate_type="import",
            aggregate_id=tally.import_id,
            aggregate_version=1,
            customer_id=None,
            before=None,
            after=summary,
        )
        await unit.record(actor, self._now(), completed)


def check_header(source: IO[bytes], command: ImportCustomers) -> tuple[str, ...]:
    """The headers of the file ``source`` (seekable, read back to its start), once checked as
    an import would: the whole file can then be queued. Raises ValidationError (no header,
    unreadable, or columns naming no field as ``command`` asks)."""
    header, _ = _header(read_rows(source), command)
    source.seek(0)
    return header.cells


def _header(rows: Iterator[CsvRow], command: ImportCustomers) -> tuple[CsvRow, ColumnMap]:
    header = next(rows, None)
    if header is None:
        raise ValidationError.single("file", "empty", "the file has no header line")
    columns = map_columns(header.cells, command.columns, command.unknown_columns)
    _check_match_column(columns, command)
    return header, columns


async def authorize_import(uow: UnitOfWork, actor: Actor, mode: ImportMode) -> None:
    """Check the policy for an import in ``mode``; raises PermissionDenied."""
    if mode is not ImportMode.UPDATE:
        await authorize_in(uow, actor, Action.CREATE, Resource.CUSTOMER)
    if mode is not ImportMode.CREATE:
        await authorize_in(uow, actor, Action.UPDATE, Resource.CUSTOMER, owned=True)


def _with_extra(change: Change, extra: Mapping[str, Any]) -> Change:
    return evolve(change, payload={**change.after, **extra})


def _check_match_column(columns: ColumnMap, command: ImportCustomers) -> None:
    """Matching by external id needs the column (or an ``id`` one) when rows may update."""
    match = command.match.value
    if command.mode is ImportMode.CREATE or match == "email" or columns.has(match) or columns.has("id"):
        return
    raise ValidationError.single("match", "no_column", f"matching by {match} needs a {match} column")


def _chunks(rows: Iterator[CsvRow], columns: ColumnMap, size: int) -> Iterator[list[CsvRow]]:
    """Rows in chunks of at most ``size``, a chunk ending early before a row repeating an
    email or external id of the chunk, so each row is judged against every row before it."""
    keyed = [(i, c.target) for i, c in enumerate(columns.columns) if c.target in KEYS]
    chunk: list[CsvRow] = []
    keys: set[tuple[str | None, str]] = set()
    for row in rows:
        given = {(target, key) for i, target in keyed if (key := _key(target, row.cells[i]))}
        if len(chunk) >= size or not keys.isdisjoint(given):
            yield chunk
            chunk, keys = [], set()
        chunk.append(row)
        keys |= given
    if chunk:
        yield chunk


def _key(target: str | None, cell: str) -> str:
    cleaned = cell.strip()
    return cleaned.lower() if target == "email" else cleaned


@frozen(kw_only=True)
class _Tally:
    import_id: UUID
    on_row: Callable[[RowOutcome], None] | None
    counts: dict[Outcome, int] = field(factory=lambda: dict.fromkeys(Outcome, 0))
    refusals: list[RowOutcome] = field(factory=list)

    @property
    def refused(self) -> int:
        return self.counts[Outcome.REFUSED]

    @property
    def changed(self) -> bool:
        return bool(self.counts[Outcome.CREATED] or self.counts[Outcome.UPDATED])

    def add(
        self, row: CsvRow, outcome: Outcome, customer_id: UUID | None, problems: tuple[tuple[str, str], ...]
    ) -> None:
        self.counts[outcome] += 1
        result = RowOutcome(
            line=row.line, outcome=outcome, customer_id=customer_id, problems=problems, cells=row.cells
        )
        if outcome is Outcome.REFUSED and len(self.refusals) < MAX_LISTED_REFUSALS:
            self.refusals.append(result)
        if self.on_row is not None:
            self.on_row(result)

    def summary(self) -> dict[str, Any]:
        return {"import_id": str(self.import_id), **{o.value: n for o, n in self.counts.items()}}

    def report(self, applied: bool, headers: tuple[str, ...]) -> ImportReport:
        return ImportReport(
            import_id=self.import_id,
            applied=applied,
            created=self.counts[Outcome.CREATED],
            updated=self.counts[Outcome.UPDATED],
            unchanged=self.counts[Outcome.UNCHANGED],
            refused=self.refused,
            refusals=tuple(self.refusals),
            headers=headers,
        )
