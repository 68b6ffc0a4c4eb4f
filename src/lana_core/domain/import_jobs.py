"""An import job: a customer import run in the background, polled by its id, with the rows
it refused kept for download."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from attrs import frozen

from lana_core.domain.choices import Choice
from lana_core.domain.versions import next_version
from lana_core.errors import Conflict

# A job keeps this many refused rows for download; its counts include every one, and
# ``ImportJob.refusals_kept`` says how many of them the download holds.
MAX_KEPT_REFUSALS: Final = 100_000
# Why a job given up for lost failed (see ``ImportJob.abandon``).
ABANDONED: Final = "the import stopped reporting progress: its worker ended and nothing was imported"


class ImportStatus(Choice, field="status"):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


@frozen(kw_only=True)
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0


@frozen(kw_only=True)
class ImportRefusal:
    """A refused row: its line in the file, its cells, and why, column by column."""

    line: int
    cells: tuple[str, ...]
    problems: tuple[tuple[str, str], ...]


@frozen(kw_only=True)
class ImportJob:
    """One import's lifecycle: queued, running, then completed (``applied`` is false for a
    dry run) or failed, writing nothing (``error`` says why: refused rows, an unreadable
    file). ``options`` is
    what the import was asked (mode, match, column map, dry run, skip invalid)."""

    id: UUID
    tenant_id: UUID
    created_by: UUID | None
    status: ImportStatus
    options: Mapping[str, Any]
    counts: ImportCounts
    applied: bool
    error: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    # The file's header line, once read: the columns of the refused rows.
    headers: tuple[str, ...] = ()

    @classmethod
    def queue(
        cls, *, id: UUID, tenant_id: UUID, created_by: UUID | None, options: Mapping[str, Any], now: datetime
    ) -> ImportJob:
        return cls(
            id=id,
            tenant_id=tenant_id,
            created_by=created_by,
            status=ImportStatus.QUEUED,
            options=dict(options),
            counts=ImportCounts(),
            applied=False,
            error=None,
            version=1,
            created_at=now,
            updated_at=now,
            finished_at=None,
        )

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.COMPLETED, ImportStatus.FAILED)

    @property
    def refusals_kept(self) -> int:
        """How many refused rows the job keeps for download: every one up to ``MAX_KEPT_REFUSALS``."""
        return min(self.counts.refused, MAX_KEPT_REFUSALS)

    def is_abandoned(self, now: datetime, lease: timedelta) -> bool:
        """Whether the job, queued or running, has reported nothing for ``lease``: its worker
        is taken to have ended (``updated_at`` moves with every progress report)."""
        return not self.is_finished and now - self.updated_at >= lease

    def abandon(self, now: datetime) -> ImportJob:
        """The job failed as lost (``ABANDONED``): a worker's import commits with its last
        statement, so one that stopped reporting wrote nothing. If its worker reports after
        all, its outcome replaces this one (:meth:`complete`, :meth:`fail`)."""
        return self.fail(ABANDONED, now)

    def progress(self, counts: ImportCounts, now: datetime) -> ImportJob:
        """The running job's rows judged so far; also tells a poller its worker lives."""
        if self.status is not ImportStatus.RUNNING:
            raise Conflict(f"import {self.id} is {self.status}, not running")
        return self._next(now, counts=counts)

    def start(self, now: datetime) -> ImportJob:
        if self.status is not ImportStatus.QUEUED:
            raise Conflict(f"import {self.id} is {self.status}, not queued")
        return self._next(now, status=ImportStatus.RUNNING)

    def complete(
        self, counts: ImportCounts, *, applied: bool, headers: tuple[str, ...], now: datetime
    ) -> ImportJob:
        """The job done; ``applied`` is false for a dry run."""
        self._ensure_running()
        return self._next(
            now,
            status=ImportStatus.COMPLETED,
            error=None,
            counts=counts,
            applied=applied,
            headers=headers,
            finished_at=now,
        )

    def fail(
        self, error: str, now: datetime, counts: ImportCounts | None = None, headers: tuple[str, ...] = ()
    ) -> ImportJob:
        """The job ended writing nothing: refused rows (``counts`` says how many), an
        unreadable file, a lost database."""
        if self.is_finished and not self._abandoned:
            raise Conflict(f"import {self.id} is already {self.status}")
        return self._next(
            now,
            status=ImportStatus.FAILED,
            error=error,
            counts=counts or self.counts,
            headers=headers,
            finished_at=now,
        )

    @property
    def _abandoned(self) -> bool:
        return self.status is ImportStatus.FAILED and self.error == ABANDONED

    def _ensure_running(self) -> None:
        if self.status is not ImportStatus.RUNNING and not self._abandoned:
            raise Conflict(f"import {self.id} is {self.status}, not running")

    def _next(self, now: datetime, **changes: Any) -> ImportJob:
        return next_version(self, now, **changes)
