"""An import job given up for lost takes its worker's outcome if the worker reports after all."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from lana_core.domain.import_jobs import (
    ABANDONED,
    MAX_KEPT_REFUSALS,
    ImportCounts,
    ImportJob,
    ImportStatus,
)
from lana_core.errors import Conflict
from lana_testing.support import START

LEASE = timedelta(minutes=10)


def _running() -> ImportJob:
    job = ImportJob.queue(id=uuid4(), tenant_id=uuid4(), created_by=None, options={}, now=START)
    return job.start(START)


def test_progress_moves_the_lease_on() -> None:
    later = START + LEASE - timedelta(seconds=1)
    job = _running().progress(ImportCounts(created=1_000), later)

    assert not job.is_abandoned(later + timedelta(seconds=1), LEASE)
    assert job.is_abandoned(later + LEASE, LEASE)
    assert (job.status, job.counts.created) == (ImportStatus.RUNNING, 1_000)


def test_a_lost_job_whose_worker_reports_after_all_takes_the_real_outcome() -> None:
    lost = _running().abandon(START + LEASE)
    assert (lost.status, lost.error) == (ImportStatus.FAILED, ABANDONED)

    done = lost.complete(ImportCounts(created=3), applied=True, headers=("name",), now=START + 2 * LEASE)

    assert (done.status, done.error, done.counts.created) == (ImportStatus.COMPLETED, None, 3)
    with pytest.raises(Conflict):
        lost.progress(ImportCounts(), START + 2 * LEASE)
    with pytest.raises(Conflict):
        done.fail("late", START + 3 * LEASE)


def test_refused_rows_past_the_cap_are_counted_but_not_kept() -> None:
    job = _running().progress(ImportCounts(refused=MAX_KEPT_REFUSALS + 5), START)

    assert (job.counts.refused, job.refusals_kept) == (MAX_KEPT_REFUSALS + 5, MAX_KEPT_REFUSALS)
