"""A state machine of customers, projects and tasks driven through the use cases of one adapter set.

``make_machine(adapter_set)`` returns a machine class for that set. Each machine run
keeps one ``asyncio.Runner`` (one event loop) for its whole life, opens the set's
adapters on it, and checks after every step that the adapters agree with a plain model:
statuses only move as the transition tables allow, every change moves the version by
exactly one, reads return what the model holds, and the stats and counts match.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Coroutine
from contextlib import AbstractAsyncContextManager
from datetime import date, timedelta
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import attrs
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from lana_core.domain.customers import STATUS_TRANSITIONS, CustomerStatus
from lana_core.domain.projects import PROJECT_TRANSITIONS, ProjectStatus
from lana_core.domain.tenancy import Actor
from lana_core.errors import Conflict, LanaError, ValidationError
from lana_core.memory import ManualClock
from lana_core.usecases import customers as uc
from lana_core.usecases import projects as up
from lana_core.usecases import tasks as ut
from lana_core.usecases._base import Kernel
from lana_testing import strategies
from lana_testing.contract.adapter_sets import Adapters, AdapterSet
from lana_testing.contract.crm_model import CustomerModel, ProjectModel, TaskModel, overdue
from lana_testing.support import START, make_tenant

T = TypeVar("T")


class CrmMachine(RuleBasedStateMachine):
    """Customers, projects and tasks of one tenant, checked against the model above."""

    adapter_set: ClassVar[AdapterSet]

    customers = Bundle("customers")
    projects = Bundle("projects")
    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.clock = ManualClock(START)
        self.context: AbstractAsyncContextManager[Adapters] = self.adapter_set.open(self.clock)
        self.adapters = self.run(self.context.__aenter__())
        self.admin: Actor = self.run(make_tenant(self.kernel))
        self.customer_model: dict[UUID, CustomerModel] = {}
        self.project_model: dict[UUID, ProjectModel] = {}
        self.task_model: dict[UUID, TaskModel] = {}

    @property
    def kernel(self) -> Kernel:
        return self.adapters.kernel

    def run(self, awaitable: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await awaitable

        return self.runner.run(wrapped())

    def expect(self, error: type[LanaError] | None, call: Coroutine[Any, Any, T]) -> T | None:
        """Run ``call``; it must raise ``error`` when one is given, else succeed."""
        if error is None:
            return self.run(call)
        with pytest.raises(error):
            self.run(call)
        return None

    def teardown(self) -> None:
        try:
            self.run(self.context.__aexit__(None, None, None))
        finally:
            self.runner.close()

    # customers

    @initialize(target=customers, command=strategies.create_customer_commands(email=st.none()))
    def first_customer(self, command: uc.CreateCustomer) -> UUID:
        return self._create_customer(command)

    @rule(target=customers, command=strategies.create_customer_commands(email=st.none()))
    def create_customer(self, command: uc.CreateCustomer) -> UUID:
        return self._create_customer(command)

    def _create_customer(self, command: uc.CreateCustomer) -> UUID:
        made = self.run(uc.CreateCustomerHandler(self.kernel)(self.admin, command))
        assert made.version == 1
        self.customer_model[made.id] = CustomerModel(
            made.status, made.value, made.name, activated=made.status == CustomerStatus.ACTIVE
        )
        return made.id

    @rule(customer_id=customers, name=strategies.names)
    def rename_customer(self, customer_id: UUID, name: str) -> None:
        model = self.customer_model[customer_id]
        command = uc.UpdateCustomer(customer_id=customer_id, expected_version=model.version, name=name)
        changed = self.expect(
            self._archived_error(model), uc.UpdateCustomerHandler(self.kernel)(self.admin, command)
        )
        if changed is not None:
            self._bump(model, changed.version)
            model.name = changed.name

    @rule(customer_id=customers, status=strategies.statuses)
    def change_customer_status(self, customer_id: UUID, status: CustomerStatus) -> None:
        model = self.customer_model[customer_id]
        legal = status in STATUS_TRANSITIONS[model.status]
        error = self._archived_error(model) or (None if legal else ValidationError)
        command = uc.ChangeCustomerStatus(
            customer_id=customer_id, status=status, expected_version=model.version
        )
        changed = self.expect(error, uc.ChangeCustomerStatusHandler(self.kernel)(self.admin, command))
        if changed is not None:
            self._bump(model, changed.version)
            model.status = status
            model.activated = model.activated or status == CustomerStatus.ACTIVE

    @rule(customer_id=customers)
    def archive_customer(self, customer_id: UUID) -> None:
        model = self.customer_model[customer_id]
        call = uc.ArchiveCustomerHandler(self.kernel)(self.admin, customer_id, model.version)
        changed = self.expect(Conflict if model.archived else None, call)
        if changed is not None:
            self._bump(model, changed.version)
            model.archived = True

    @rule(customer_id=customers)
    def restore_customer(self, customer_id: UUID) -> None:
        model = self.customer_model[customer_id]
        call = uc.RestoreCustomerHandler(self.kernel)(self.admin, customer_id, model.version)
        changed = self.expect(None if model.archived else Conflict, call)
        if changed is not None:
            self._bump(model, changed.version)
            model.archived = False

    # projects

    @rule(target=projects, customer_id=customers, due_in=st.none() | st.integers(-2, 4))
    def create_project(self, customer_id: UUID, due_in: int | None) -> UUID | MultipleResults[UUID]:
        due = None if due_in is None else self.clock.now().date() + timedelta(days=due_in)
        command = up.CreateProject(customer_id=customer_id, title="Work", due_date=due)
        error = self._archived_error(self.customer_model[customer_id])
        made = self.expect(error, up.CreateProjectHandler(self.kernel)(self.admin, command))
        if made is None:
            return multiple()
        self.project_model[made.id] = ProjectModel(customer_id, due=due)
        return made.id

    @rule(project_id=projects, status=st.sampled_from(ProjectStatus))
    def change_project_status(self, project_id: UUID, status: ProjectStatus) -> None:
        model = self.project_model[project_id]
        error = self._closed_error(model) or (
            None if status in PROJECT_TRANSITIONS[model.status] else ValidationError
        )
        command = up.ChangeProjectStatus(project_id=project_id, status=status, expected_version=model.version)
        changed = self.expect(error, up.ChangeProjectStatusHandler(self.kernel)(self.admin, command))
        if changed is not None:
            self._bump(model, changed.version)
            model.status = status

    @rule(project_id=projects)
    def archive_project(self, project_id: UUID) -> None:
        model = self.project_model[project_id]
        call = up.ArchiveProjectHandler(self.kernel)(self.admin, project_id, model.version)
        changed = self.expect(self._closed_error(model), call)
        if changed is not None:
            self._bump(model, changed.version)
            model.archived = True

    # tasks

    @rule(target=tasks, project_id=projects)
    def create_task(self, project_id: UUID) -> UUID | MultipleResults[UUID]:
        model = self.project_model[project_id]
        command = ut.CreateTask(project_id=project_id, title="Step")
        made = self.expect(self._closed_error(model), ut.CreateTaskHandler(self.kernel)(self.admin, command))
        if made is None:
            return multiple()
        self.task_model[made.id] = TaskModel(project_id, model.customer_id)
        return made.id

    @rule(task_id=tasks, complete=st.booleans())
    def complete_or_reopen_task(self, task_id: UUID, complete: bool) -> None:
        model = self.task_model[task_id]
        error = self._closed_error(self.project_model[model.project_id])
        error = error or (None if complete != model.completed else Conflict)
        handler = ut.CompleteTaskHandler if complete else ut.ReopenTaskHandler
        changed = self.expect(error, handler(self.kernel)(self.admin, task_id, model.version))
        if changed is not None:
            self._bump(model, changed.version)
            model.completed = complete

    @rule(days=st.integers(0, 3), minutes=st.integers(0, 600))
    def let_time_pass(self, days: int, minutes: int) -> None:
        self.clock.advance(timedelta(days=days, minutes=minutes))

    # invariants

    @invariant()
    def customers_read_back_as_modelled(self) -> None:
        today = self.clock.now().date()
        for customer_id, model in self.customer_model.items():
            view = self.run(uc.GetCustomerHandler(self.kernel)(self.admin, customer_id))
            stored = view.customer
            assert (stored.status, stored.value, stored.name) == (model.status, model.value, model.name)
            assert (stored.version, stored.is_archived) == (model.version, model.archived)
            assert (stored.activated_at is not None) == model.activated
            live = [p for p in self.project_model.values() if p.customer_id == customer_id and not p.archived]
            assert attrs.astuple(view.project_stats) == (
                len(live),
                sum(p.status == ProjectStatus.DONE for p in live),
                sum(p.status == ProjectStatus.IN_PROGRESS for p in live),
                sum(overdue(p, today) for p in live),
            )
            tasks = [t for t in self.task_model.values() if t.customer_id == customer_id]
            counted = [t for t in tasks if not self.project_model[t.project_id].archived]
            assert attrs.astuple(view.task_stats) == (len(counted), sum(t.completed for t in counted))

    @invariant()
    def work_reads_back_as_modelled(self) -> None:
        get_project = up.GetProjectHandler(self.kernel)
        for project_id, model in self.project_model.items():
            stored = self.run(get_project(self.admin, project_id))
            assert (stored.status, stored.version) == (model.status, model.version)
            assert (stored.archived_at is not None, stored.completed_at is not None) == (
                model.archived,
                model.status == ProjectStatus.DONE,
            )
        for task_id, task in self.task_model.items():
            stored_task = self.run(self._get_task(task_id))
            assert stored_task is not None
            assert (stored_task.completed, stored_task.version) == (task.completed, task.version)

    @invariant()
    def dashboard_counts_match(self) -> None:
        live = [c for c in self.customer_model.values() if not c.archived]
        live_projects = [p for p in self.project_model.values() if not p.archived]
        today = self.clock.now().date()
        customer_counts, project_counts = self.run(self._counts(today))
        assert customer_counts.total == len(live)
        assert {k: v for k, v in customer_counts.by_status.items() if v} == Counter(
            c.status.value for c in live
        )
        assert {k: v for k, v in customer_counts.by_value.items() if v} == Counter(
            c.value.value for c in live
        )
        assert customer_counts.ever_activated == sum(c.activated for c in live)
        assert project_counts.total == len(live_projects)
        assert {k: v for k, v in project_counts.by_status.items() if v} == Counter(
            p.status.value for p in live_projects
        )
        assert project_counts.overdue == sum(overdue(p, today) for p in live_projects)

    # helpers

    def _bump(self, model: CustomerModel | ProjectModel | TaskModel, stored_version: int) -> None:
        assert stored_version == model.version + 1, "every change moves the version by exactly one"
        model.version = stored_version

    def _archived_error(self, model: CustomerModel) -> type[LanaError] | None:
        return Conflict if model.archived else None

    def _closed_error(self, project: ProjectModel) -> type[LanaError] | None:
        """Work of an archived customer or in an archived project is read-only."""
        return Conflict if project.archived or self.customer_model[project.customer_id].archived else None

    async def _get_task(self, task_id: UUID) -> Any:
        async with self.kernel.uow(self.admin.tenant_id) as uow:
            return await uow.tasks.get(task_id)

    async def _counts(self, today: date) -> tuple[Any, Any]:
        async with self.kernel.uow(self.admin.tenant_id) as uow:
            return await uow.customers.counts(), await uow.projects.counts(today)


def make_machine(adapter_set: AdapterSet) -> type[CrmMachine]:
    """The CRM state machine bound to ``adapter_set``."""
    return type(f"CrmMachine_{adapter_set.name}", (CrmMachine,), {"adapter_set": adapter_set})
