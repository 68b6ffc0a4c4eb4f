"""The import jobs of one tenant and the rows each refused."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import bindparam, select

from lana_adapters.sql.converter import Values, reader, writer
from lana_adapters.sql.repository import TxRepository
from lana_adapters.sql.tables import import_jobs, import_refusals
from lana_adapters.sql.writes import TenantRows, add, insert
from lana_core.domain.import_jobs import ImportJob, ImportRefusal

_COUNTS = ("created", "updated", "unchanged", "refused")


def _nested_counts(values: Values) -> None:
    """A job's counts, stored as a column each, as the one record the job holds."""
    values["counts"] = {name: values.pop(name) for name in _COUNTS}


_read_job = reader(ImportJob, reshape=_nested_counts)
_write_job = writer(ImportJob)


def _job_values(job: ImportJob) -> Values:
    values = _write_job(job)
    values.update(values.pop("counts"))
    return values


_JOBS = TenantRows(import_jobs, "import", _read_job, _job_values)
_INSERT_REFUSALS = insert(import_refusals)
_REFUSALS = (
    select(import_refusals.c.line, import_refusals.c.row)
    .where(import_refusals.c.tenant_id == bindparam("tenant"), import_refusals.c.job_id == bindparam("job"))
    .order_by(import_refusals.c.line)
)


class SqlImportJobRepository(TxRepository):
    """The import jobs of the unit of work's tenant."""

    __slots__ = ()

    async def add(self, job: ImportJob) -> None:
        """Store a new job."""
        await _JOBS.add(self._tx, job)

    async def get(self, job_id: UUID) -> ImportJob | None:
        return await _JOBS.get(self._tx, job_id)

    async def update(self, job: ImportJob) -> None:
        """Store ``job``; raises StaleVersion unless the stored version is ``job.version - 1``."""
        await _JOBS.update(self._tx, job)

    async def add_refusals(self, job_id: UUID, refusals: Sequence[ImportRefusal]) -> None:
        """Keep refused rows of ``job_id``; raises Conflict for a line already kept."""
        rows = [
            {
                "tenant_id": self._tx.tenant_id,
                "job_id": job_id,
                "line": refusal.line,
                "row": {"cells": list(refusal.cells), "problems": [list(p) for p in refusal.problems]},
            }
            for refusal in refusals
        ]
        await add(self._tx, _INSERT_REFUSALS, rows)

    async def refusals(self, job_id: UUID) -> Sequence[ImportRefusal]:
        rows = await self._tx.rows(_REFUSALS, {"tenant": self._tx.tenant_id, "job": job_id})
        return [
            ImportRefusal(
                line=row.line,
                cells=tuple(row.row["cells"]),
                problems=tuple((column, message) for column, message in row.row["problems"]),
            )
            for row in rows
        ]
