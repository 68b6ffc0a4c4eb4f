"""The import jobs of one tenant and the rows each refused."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from lana_core.domain.import_jobs import ImportJob, ImportRefusal
from lana_core.memory._staging import Scope


class InMemoryImportJobRepository:
    """Import jobs of one tenant; refused rows are kept per job, by line."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def add(self, job: ImportJob) -> None:
        """Stage a new job."""
        self._scope.check_tenant(job.tenant_id, "import")
        self._scope.writing().import_jobs.add(self._scope.space().import_jobs, job)

    async def get(self, job_id: UUID) -> ImportJob | None:
        return self._scope.staged.import_jobs.get(self._scope.space().import_jobs, job_id)

    async def update(self, job: ImportJob) -> None:
        """Stage ``job``; raises StaleVersion unless the stored version is ``job.version - 1``."""
        self._scope.check_tenant(job.tenant_id, "import")
        self._scope.writing().import_jobs.update(self._scope.space().import_jobs, job)

    async def add_refusals(self, job_id: UUID, refusals: Sequence[ImportRefusal]) -> None:
        """Stage refused rows of ``job_id``; a line already kept stays as it was."""
        self._scope.writing().import_refusals.extend((job_id, refusal) for refusal in refusals)

    async def refusals(self, job_id: UUID) -> Sequence[ImportRefusal]:
        kept = dict(self._scope.space().import_refusals.get(job_id, {}))
        for staged_job, refusal in self._scope.staged.import_refusals:
            if staged_job == job_id:
                kept.setdefault(refusal.line, refusal)
        return [kept[line] for line in sorted(kept)]
