"""Customer imports as jobs: queued, run in the background over a file, polled by id, with
the rows they refused kept for download."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import IO, Any, Final
from uuid import UUID

from lana_core.domain.import_jobs import (
    MAX_KEPT_REFUSALS,
    ImportCounts,
    ImportJob,
    ImportRefusal,
    ImportStatus,
)
from lana_core.domain.policy import Action, Resource
from lana_core.domain.tenancy import Actor
from lana_core.errors import Conflict, LanaError, NotFound, ValidationError
from lana_core.usecases._base import Kernel, UseCase, authorize_in
from lana_core.usecases.customer_import import (
    ImportCustomers,
    ImportCustomersHandler,
    ImportReport,
    Outcome,
    RowOutcome,
    authorize_import,
    check_header,
)

__all__ = [
    "IMPORT_LEASE",
    "MAX_KEPT_REFUSALS",
    "GetImportJobHandler",
    "ImportRefusalsHandler",
    "QueueCustomerImportHandler",
    "RunCustomerImportHandler",
]

# A job that reported nothing for this long (queued, or running without progress) is failed
# as lost when it is next read. A running import reports after every chunk of 1,000 rows,
# within seconds; on SQLite its reports wait for the import's own write lock, so the lease
# must outlast the longest import there (see docs/operations.md).
IMPORT_LEASE: Final = timedelta(minutes=10)


class QueueCustomerImportHandler(UseCase):
    """Queue an import job for ``command``, to be run by :class:`RunCustomerImportHandler`.

    Rules: the actor must be allowed the import itself (create and/or update customers);
    the file ``source`` (seekable), when given, must have a header the import can use, so
    a file refused as a whole is never queued (its rows are judged by the run).
    Raises PermissionDenied, ValidationError (the header, as the import would).
    """

    __slots__ = ()

    async def __call__(
        self, actor: Actor, command: ImportCustomers, source: IO[bytes] | None = None
    ) -> ImportJob:
        if source is not None:
            check_header(source, command)
        async with self._kernel.change(actor.tenant_id) as unit:
            await authorize_import(unit.uow, actor, command.mode)
            job = ImportJob.queue(
                id=self._id(),
                tenant_id=actor.tenant_id,
                created_by=actor.user_id,
                options=options_of(command),
                now=self._now(),
            )
            await unit.uow.import_jobs.add(job)
            await unit.commit()
        return job


class RunCustomerImportHandler(UseCase):
    """Run a queued job over the file ``source``, as :class:`ImportCustomersHandler` would,
    each event of the import carrying the job's id.

    Rules: the job becomes ``running``, then ``completed`` (a dry run too) or ``failed``
    with why (refused rows when not skipping them, an unreadable file, a refused
    permission, a lost database), writing nothing then; refused rows are kept (the first
    ``MAX_KEPT_REFUSALS``). ``on_row`` hears of every row as it is judged. A refused file
    does not raise: the job says it. Raises NotFound (no such job), Conflict (not queued).
    """

    __slots__ = ("_importer",)

    def __init__(self, kernel: Kernel, importer: ImportCustomersHandler | None = None) -> None:
        super().__init__(kernel)
        self._importer = importer or ImportCustomersHandler(kernel)

    async def __call__(
        self,
        actor: Actor,
        job_id: UUID,
        source: IO[bytes],
        on_row: Callable[[RowOutcome], None] | None = None,
    ) -> ImportJob:
        job = await self._save(actor, job_id, (), lambda job: job.start(self._now()))
        kept: list[ImportRefusal] = []
        progress = _Progress(self._kernel, actor, job_id)

        def heard(row: RowOutcome) -> None:
            progress.count(row.outcome)
            if row.outcome is Outcome.REFUSED and len(kept) < MAX_KEPT_REFUSALS:
                kept.append(ImportRefusal(line=row.line, cells=row.cells, problems=row.problems))
            if on_row is not None:
                on_row(row)

        command = command_of(job.options, job.id)
        try:
            report = await self._importer(actor, command, source, heard, progress.report)
        except LanaError as error:
            reason = _reason(error)
            await progress.settled()
            return await self._save(actor, job_id, kept, lambda job: job.fail(reason, self._now()))
        await progress.settled()
        return await self._save(actor, job_id, kept, lambda job: _finished(job, report, command, self._now()))

    async def _save(
        self,
        actor: Actor,
        job_id: UUID,
        refusals: Sequence[ImportRefusal],
        step: Callable[[ImportJob], ImportJob],
    ) -> ImportJob:
        async with self._kernel.change(actor.tenant_id) as unit:
            before = await unit.uow.import_jobs.get(job_id)
            if before is None:
                raise NotFound("import", job_id)
            after = step(before)
            await unit.uow.import_jobs.update(after)
            if refusals:
                await unit.uow.import_jobs.add_refusals(job_id, refusals)
            await unit.commit()
        return after


class _Progress:
    """A running job's counts, reported after a chunk of rows in a unit of work of its own,
    one report at a time, without holding the import up: on SQLite a report waits for the
    write lock the import holds until it ends."""

    def __init__(self, kernel: Kernel, actor: Actor, job_id: UUID) -> None:
        self._kernel = kernel
        self._actor = actor
        self._job_id = job_id
        self._counts = dict.fromkeys((outcome.value for outcome in Outcome), 0)
        self._pending: asyncio.Task[None] | None = None

    def count(self, outcome: Outcome) -> None:
        self._counts[outcome.value] += 1

    async def report(self) -> None:
        if self._pending is None or self._pending.done():
            self._pending = asyncio.create_task(self._write(ImportCounts(**self._counts)))
        await asyncio.sleep(0)  # the report starts while the import goes on

    async def settled(self) -> None:
        """Once the last report is written or given up: the job's outcome is written after it."""
        if self._pending is not None:
            await self._pending

    async def _write(self, counts: ImportCounts) -> None:
        try:
            async with self._kernel.change(self._actor.tenant_id) as unit:
                job = await unit.uow.import_jobs.get(self._job_id)
                if job is None or job.status is not ImportStatus.RUNNING:
                    return
                await unit.uow.import_jobs.update(job.progress(counts, self._kernel.clock.now()))
                await unit.commit()
        except LanaError:
            pass  # a report lost (database busy, a concurrent write) is made up by the next


class GetImportJobHandler(UseCase):
    """Read an import job of the tenant; one that reported nothing for ``IMPORT_LEASE`` is
    failed as lost first (its worker ended). Raises NotFound, PermissionDenied (no read of
    customers)."""

    __slots__ = ()

    async def __call__(self, actor: Actor, job_id: UUID) -> ImportJob:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await authorize_in(uow, actor, Action.READ, Resource.CUSTOMER, owned=True)
            job = await uow.import_jobs.get(job_id)
        if job is None:
            raise NotFound("import", job_id)
        return await reap(self._kernel, job)


class ImportRefusalsHandler(UseCase):
    """The rows an import job refused, by line, with the job (failed as lost, as
    :class:`GetImportJobHandler` does). Raises NotFound, PermissionDenied."""

    __slots__ = ()

    async def __call__(self, actor: Actor, job_id: UUID) -> tuple[ImportJob, Sequence[ImportRefusal]]:
        async with self._kernel.uow(actor.tenant_id) as uow:
            await authorize_in(uow, actor, Action.READ, Resource.CUSTOMER, owned=True)
            job = await uow.import_jobs.get(job_id)
            if job is None:
                raise NotFound("import", job_id)
            refused = await uow.import_jobs.refusals(job_id)
        return await reap(self._kernel, job), refused


async def reap(kernel: Kernel, job: ImportJob, lease: timedelta = IMPORT_LEASE) -> ImportJob:
    """``job``, failed as lost when it reported nothing for ``lease``; as read otherwise."""
    if not job.is_abandoned(kernel.clock.now(), lease):
        return job
    try:
        async with kernel.change(job.tenant_id) as unit:
            current = await unit.uow.import_jobs.get(job.id)
            if current is None or not current.is_abandoned(kernel.clock.now(), lease):
                return current or job
            lost = current.abandon(kernel.clock.now())
            await unit.uow.import_jobs.update(lost)
            await unit.commit()
    except Conflict:  # another reader failed it, or its worker reported, meanwhile
        async with kernel.uow(job.tenant_id) as uow:
            return await uow.import_jobs.get(job.id) or job
    return lost


def options_of(command: ImportCustomers) -> dict[str, Any]:
    """What a job keeps of its import's command, as JSON-safe values."""
    return {
        "mode": command.mode.value,
        "match": command.match.value,
        "columns": dict(command.columns),
        "unknown_columns": command.unknown_columns.value,
        "dry_run": command.dry_run,
        "skip_invalid": command.skip_invalid,
    }


def command_of(options: Any, import_id: UUID) -> ImportCustomers:
    return ImportCustomers(**options, import_id=import_id)


def _finished(job: ImportJob, report: ImportReport, command: ImportCustomers, now: datetime) -> ImportJob:
    counts = ImportCounts(
        created=report.created, updated=report.updated, unchanged=report.unchanged, refused=report.refused
    )
    if report.applied or command.dry_run:
        return job.complete(counts, applied=report.applied, headers=report.headers, now=now)
    return job.fail(f"{report.refused} row(s) refused: nothing imported", now, counts, report.headers)


def _reason(error: LanaError) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{e.field}: {e.message}" for e in error.errors)
    return error.message
