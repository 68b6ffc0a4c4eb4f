"""Customer imports as jobs: upload a CSV file (streamed to a temporary file), get 202 and
the job's id, poll it, download the rows it refused; progress reaches the live event stream."""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import IO, Any, Final
from uuid import UUID, uuid4

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Stream

from lana_adapters.events_stream import EventStream
from lana_core.app import Lana
from lana_core.domain.events import DomainEvent
from lana_core.domain.import_jobs import ImportJob, ImportRefusal, ImportStatus
from lana_core.domain.tenancy import Actor
from lana_core.usecases.customer_import import ImportCustomers, RowOutcome
from lana_http.controllers._common import API
from lana_http.controllers.events_stream import EVENT_STREAM_KEY
from lana_http.controllers.import_options import IMPORT_OPTIONS, ImportOperation
from lana_http.problems import READ, WRITE, HttpProblem, documented
from lana_http.runtime import Runtime
from lana_http.schemas.base import Out

IMPORT_PROGRESS: Final = "import.progress"
# The upload stays in memory up to this size, then goes to a temporary file.
_SPOOL_IN_MEMORY = 1_048_576
_PROGRESS_EVERY_SECONDS = 1.0
_JOBS = f"{API}/customers/imports"


class ImportJobOut(Out):
    """An import job: ``status`` is queued, running, completed or failed (``error`` says
    why, nothing written); ``applied`` is false for a dry run. The counts grow while it
    runs; ``refused_kept`` of the ``refused`` rows are in ``refused_csv`` (at most 100,000)."""

    id: UUID
    status: ImportStatus
    options: dict[str, Any]
    created: int
    updated: int
    unchanged: int
    refused: int
    refused_kept: int
    applied: bool
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    refused_csv: str

    @classmethod
    def of(cls, job: ImportJob) -> ImportJobOut:
        return cls(
            id=job.id,
            status=job.status,
            options=dict(job.options),
            created=job.counts.created,
            updated=job.counts.updated,
            unchanged=job.counts.unchanged,
            refused=job.counts.refused,
            refused_kept=job.refusals_kept,
            applied=job.applied,
            error=job.error,
            created_at=job.created_at,
            finished_at=job.finished_at,
            refused_csv=f"{_JOBS}/{job.id}/refused.csv",
        )


class ImportJobController(Controller):
    """Customer imports run in the background."""

    path = _JOBS
    tags = ("customers",)

    @post(
        "/",
        operation_id="startCustomerImport",
        status_code=202,
        responses=documented(*WRITE),
        operation_class=ImportOperation,
        dependencies=IMPORT_OPTIONS,
        # The job's own bound (LANA_IMPORT_MAX_BYTES) applies while the body is read; a
        # retry with the same Idempotency-Key gets the first job back.
        request_max_body_size=None,
        opt={"idempotent": True, "idempotent_spooled": "import_max_bytes"},
    )
    async def start_import(
        self,
        *,
        request: Request[Any, Any, Any],
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        runtime: NamedDependency[Runtime],
        command: NamedDependency[ImportCustomers],
    ) -> Response[ImportJobOut]:
        """Start importing the CSV file sent as the body (`text/csv`, at most
        `LANA_IMPORT_MAX_BYTES`) with the options of `POST /customers/import`: 202 with the
        job, polled at its `Location`; a file whose header the import cannot use is a 422,
        queuing nothing. Its progress reaches `GET /events/stream` as `import.progress` events.
        A retry with the same `Idempotency-Key` and file gets the first job back."""
        # The file first: one refused on its size leaves no job behind.
        spooled = await _spool(request, runtime.http.import_max_bytes)
        try:
            job = await lana.queue_customer_import(actor, command, spooled)
        except BaseException:
            spooled.close()
            raise
        stream = request.app.state.get(EVENT_STREAM_KEY)
        return Response(
            ImportJobOut.of(job),
            status_code=202,
            headers={"Location": f"{_JOBS}/{job.id}"},
            background=BackgroundTask(run_import, lana, actor, job, spooled, stream),
        )

    @get("/{job_id:uuid}", operation_id="getCustomerImport", responses=documented(*READ))
    async def get_import(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], job_id: FromPath[UUID]
    ) -> ImportJobOut:
        """An import job: its status and counts."""
        return ImportJobOut.of(await lana.get_import_job(actor, job_id))

    @get(
        "/{job_id:uuid}/refused.csv",
        operation_id="getCustomerImportRefusals",
        responses=documented(*READ),
        media_type="text/csv",
    )
    async def get_refusals(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], job_id: FromPath[UUID]
    ) -> Stream:
        """The rows the job refused, as CSV: the file's own columns under its own header, then
        `line` and `error` (the first 100,000 refused rows: the job's `refused_kept`)."""
        job, refused = await lana.import_refusals(actor, job_id)
        disposition = f'attachment; filename="import-{job.id}-refused.csv"'
        lines = refused_lines(job.headers, refused)
        return Stream(lines, media_type="text/csv", headers={"Content-Disposition": disposition})


async def _spool(request: Request[Any, Any, Any], limit: int) -> IO[bytes]:
    """The body in a temporary file (in memory while small); raises 413 past ``limit`` bytes."""
    spooled = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115 - handed to the job
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            spooled.close()
            raise HttpProblem(413, "payload_too_large", f"the file exceeds {limit} bytes")
        spooled.write(chunk)
    spooled.seek(0)
    return spooled


async def run_import(
    lana: Lana, actor: Actor, job: ImportJob, source: IO[bytes], stream: EventStream | None
) -> None:
    """Run the job after the answer went out; the file is closed when it ends."""
    progress = _Progress(actor, job.id, stream)
    with source:
        progress.send(ImportStatus.RUNNING)
        finished = await lana.run_customer_import(actor, job.id, source, progress.heard)
        progress.counts = {
            "created": finished.counts.created,
            "updated": finished.counts.updated,
            "unchanged": finished.counts.unchanged,
            "refused": finished.counts.refused,
        }
        progress.send(finished.status)
    await progress.flush()


class _Progress:
    """Counts the job's rows and offers ``import.progress`` events to the live stream: when
    it starts, at most once a second while it runs, and when it ends."""

    def __init__(self, actor: Actor, job_id: UUID, stream: EventStream | None) -> None:
        self._actor = actor
        self._job_id = job_id
        self._stream = stream
        self._sent: set[asyncio.Task[None]] = set()
        self._shown = time.monotonic()
        self.counts = {"created": 0, "updated": 0, "unchanged": 0, "refused": 0}

    def heard(self, row: RowOutcome) -> None:
        self.counts[row.outcome.value] += 1
        now = time.monotonic()
        if now - self._shown >= _PROGRESS_EVERY_SECONDS:
            self._shown = now
            self.send(ImportStatus.RUNNING)

    def send(self, status: ImportStatus) -> None:
        if self._stream is None:
            return
        event = DomainEvent(
            id=uuid4(),
            type=IMPORT_PROGRESS,
            tenant_id=self._actor.tenant_id,
            aggregate_type="import",
            aggregate_id=self._job_id,
            aggregate_version=1,
            occurred_at=datetime.now(UTC),
            actor_id=self._actor.user_id,
            payload={"import_id": str(self._job_id), "status": status.value, **self.counts},
        )
        # Rows are judged inside the import's own awaits: the event goes out on the loop's next turn.
        task = asyncio.get_running_loop().create_task(self._stream.publish([event]))
        self._sent.add(task)
        task.add_done_callback(self._sent.discard)

    async def flush(self) -> None:
        await asyncio.gather(*self._sent, return_exceptions=True)


async def refused_lines(headers: Sequence[str], refused: Sequence[ImportRefusal]) -> AsyncIterator[str]:
    yield _line([*headers, "line", "error"])
    for refusal in refused:
        yield _line([*refusal.cells, str(refusal.line), _problems(refusal)])


def _line(cells: Sequence[str]) -> str:
    text = io.StringIO()
    csv.writer(text).writerow(cells)
    return text.getvalue()


def _problems(refusal: ImportRefusal) -> str:
    return "; ".join(f"{column}: {message}" for column, message in refusal.problems)
