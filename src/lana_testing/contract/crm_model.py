"""The plain model the CRM state machine checks the adapters against."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from attrs import define

from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.projects import ProjectStatus


@define
class CustomerModel:
    status: CustomerStatus
    value: CustomerValue
    name: str
    version: int = 1
    archived: bool = False
    activated: bool = False


@define
class ProjectModel:
    customer_id: UUID
    status: ProjectStatus = ProjectStatus.TODO
    due: date | None = None
    version: int = 1
    archived: bool = False


@define
class TaskModel:
    project_id: UUID
    customer_id: UUID
    completed: bool = False
    version: int = 1


def overdue(project: ProjectModel, today: date) -> bool:
    """As ``Project.is_overdue``: a due date in the past and not done."""
    return project.due is not None and project.due < today and project.status != ProjectStatus.DONE
