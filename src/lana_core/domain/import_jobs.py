"""An import job: a customer import run in the background, polled by its id, with the rows
it refused kept for download."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from attrs import evolve, frozen

from lana_core.domain.choices import Choice
from lana_core.errors import Conflict


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
        if self.is_finished:
            raise Conflict(f"import {self.id} is already {self.status}")
        return self._next(
            now,
            status=ImportStatus.FAILED,
            error=error,
            counts=counts or self.counts,
            headers=headers,
            finished_at=now,
        )

    def _ensure_running(self) -> None:
        if self.status is not ImportStatus.RUNNING:
            raise Conflict(f"import {self.id} is {self.status}, not running")

    def _next(self, now: datetime, **changes: Any) -> ImportJob:
        return evolve(self, version=self.version + 1, updated_at=now, **changes)
