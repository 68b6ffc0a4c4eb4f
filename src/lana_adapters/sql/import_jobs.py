"""The import jobs of one tenant and the rows each refused."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select

from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.repository import TxRepository
from lana_adapters.sql.tables import import_jobs, import_refusals
from lana_adapters.sql.tx import AnyRow
from lana_adapters.sql.writes import add, check_tenant, insert, update_versioned, versioned_update
from lana_core.domain.import_jobs import ImportCounts, ImportJob, ImportRefusal, ImportStatus

_INSERT = insert(import_jobs)
_UPDATE = versioned_update(import_jobs)
_INSERT_REFUSALS = insert(import_refusals)
_BY_ID = Prepared(
    select(import_jobs).where(
        import_jobs.c.tenant_id == bindparam("tenant"), import_jobs.c.id == bindparam("id")
    ),
    by_key=True,
)
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
        check_tenant(self._tx, job.tenant_id, "import")
        await add(self._tx, _INSERT, _values(job))

    async def get(self, job_id: UUID) -> ImportJob | None:
        row = await self._tx.first(_BY_ID, {"tenant": self._tx.tenant_id, "id": job_id})
        return None if row is None else _job_of(row)

    async def update(self, job: ImportJob) -> None:
        """Store ``job``; raises StaleVersion unless the stored version is ``job.version - 1``."""
        check_tenant(self._tx, job.tenant_id, "import")
        await update_versioned(self._tx, _UPDATE, _values(job), "import")

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


def _values(job: ImportJob) -> dict[str, Any]:
    return {
        "tenant_id": job.tenant_id,
        "id": job.id,
        "created_by": job.created_by,
        "status": job.status.value,
        "options": dict(job.options),
        "created": job.counts.created,
        "updated": job.counts.updated,
        "unchanged": job.counts.unchanged,
        "refused": job.counts.refused,
        "applied": job.applied,
        "error": job.error,
        "version": job.version,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "finished_at": job.finished_at,
        "headers": list(job.headers),
    }


def _job_of(row: AnyRow) -> ImportJob:
    return ImportJob(
        id=row.id,
        tenant_id=row.tenant_id,
        created_by=row.created_by,
        status=ImportStatus(row.status),
        options=row.options,
        counts=ImportCounts(
            created=row.created, updated=row.updated, unchanged=row.unchanged, refused=row.refused
        ),
        applied=bool(row.applied),
        error=row.error,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        headers=tuple(row.headers),
    )
