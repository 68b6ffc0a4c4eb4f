"""Customer imports as jobs: queued, run, polled from any unit of work, refused rows kept."""

from __future__ import annotations

import io
from uuid import UUID, uuid4

import pytest

from lana_core.domain.events import DomainEvent
from lana_core.domain.import_jobs import ImportCounts, ImportRefusal, ImportStatus
from lana_core.domain.tenancy import Actor, Role
from lana_core.errors import NotFound, PermissionDenied
from lana_core.ports import OutboxRelayStore
from lana_core.usecases._base import Kernel
from lana_core.usecases.customer_import import ImportCustomers
from lana_core.usecases.import_jobs import (
    GetImportJobHandler,
    ImportRefusalsHandler,
    QueueCustomerImportHandler,
    RunCustomerImportHandler,
)
from lana_testing.contract.adapter_sets import Adapters
from lana_testing.contract.fixtures import adapters, admin, clock, kernel
from lana_testing.contract.observe import everything
from lana_testing.support import make_tenant, make_user


async def _events(relay: OutboxRelayStore, tenant_id: UUID) -> list[DomainEvent]:
    return [r.event for r in await relay.claim(10_000, 60) if r.event.tenant_id == tenant_id]


async def _run(kernel: Kernel, actor: Actor, command: ImportCustomers, content: bytes) -> UUID:
    job = await QueueCustomerImportHandler(kernel)(actor, command)
    assert job.status is ImportStatus.QUEUED
    await RunCustomerImportHandler(kernel)(actor, job.id, io.BytesIO(content))
    return job.id


async def test_a_job_runs_the_import_and_its_events_carry_the_job_id(
    adapters: Adapters, admin: Actor
) -> None:
    content = b"name,email\nAda,ada@example.com\nGrace,grace@example.com\n"

    job_id = await _run(adapters.kernel, admin, ImportCustomers(), content)

    job = await GetImportJobHandler(adapters.kernel)(admin, job_id)
    assert (job.status, job.applied, job.counts) == (ImportStatus.COMPLETED, True, ImportCounts(created=2))
    assert job.finished_at is not None
    sent = await _events(adapters.relay, admin.tenant_id)
    assert {e.payload["import_id"] for e in sent if e.aggregate_type in ("customer", "import")} == {
        str(job_id)
    }
    assert [e.aggregate_id for e in sent if e.type == "import.completed"] == [job_id]


async def test_a_refused_row_fails_the_job_writing_nothing_and_keeps_the_row(
    adapters: Adapters, admin: Actor
) -> None:
    before = await everything(adapters.kernel, adapters.relay, admin.tenant_id)
    content = b"name,email\nAda,ada@example.com\nBad,not-an-email\n"

    job_id = await _run(adapters.kernel, admin, ImportCustomers(), content)

    job, refused = await ImportRefusalsHandler(adapters.kernel)(admin, job_id)
    assert (job.status, job.counts.created, job.counts.refused) == (ImportStatus.FAILED, 1, 1)
    assert job.error == "1 row(s) refused: nothing imported"
    assert refused == [
        ImportRefusal(
            line=3,
            cells=("Bad", "not-an-email"),
            problems=(("email", "must be an email address like name@example.com"),),
        )
    ]
    after = await everything(adapters.kernel, adapters.relay, admin.tenant_id)
    assert after.customers == before.customers


async def test_skip_invalid_completes_the_job_and_keeps_the_refused_rows(
    kernel: Kernel, admin: Actor
) -> None:
    content = b"name,value\nAda,high\nBob,gold\nCy,huge\n"

    job_id = await _run(kernel, admin, ImportCustomers(skip_invalid=True), content)

    job, refused = await ImportRefusalsHandler(kernel)(admin, job_id)
    assert (job.status, job.applied, job.counts.created, job.counts.refused) == (
        ImportStatus.COMPLETED,
        True,
        1,
        2,
    )
    assert [(r.line, r.cells[0]) for r in refused] == [(3, "Bob"), (4, "Cy")]


async def test_an_unreadable_file_fails_the_job_naming_its_line(kernel: Kernel, admin: Actor) -> None:
    job_id = await _run(kernel, admin, ImportCustomers(), b"name,email\nAda,ada@example.com\nBob\n")

    job = await GetImportJobHandler(kernel)(admin, job_id)
    assert job.status is ImportStatus.FAILED
    assert job.error == "file: line 3 has 1 cells where the header has 2"


async def test_a_job_is_seen_in_its_tenant_only_and_viewers_may_not_queue_one(
    kernel: Kernel, admin: Actor
) -> None:
    other = await make_tenant(kernel, f"other-{uuid4().hex[:6]}")
    viewer = await make_user(kernel, admin, Role.VIEWER)
    job_id = await _run(kernel, admin, ImportCustomers(dry_run=True), b"name\nAda\n")

    with pytest.raises(NotFound):
        await GetImportJobHandler(kernel)(other, job_id)
    with pytest.raises(PermissionDenied):
        await QueueCustomerImportHandler(kernel)(viewer, ImportCustomers())
    job = await GetImportJobHandler(kernel)(viewer, job_id)
    assert (job.status, job.applied, job.counts.created) == (ImportStatus.COMPLETED, False, 1)


__all__ = [
    "adapters",
    "admin",
    "clock",
    "kernel",
    "test_a_job_runs_the_import_and_its_events_carry_the_job_id",
    "test_a_refused_row_fails_the_job_writing_nothing_and_keeps_the_row",
    "test_skip_invalid_completes_the_job_and_keeps_the_refused_rows",
    "test_an_unreadable_file_fails_the_job_naming_its_line",
    "test_a_job_is_seen_in_its_tenant_only_and_viewers_may_not_queue_one",
]
