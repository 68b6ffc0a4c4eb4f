"""Rows to domain objects and back, field by field, for the core aggregates."""

from __future__ import annotations

from typing import Any

from lana_adapters.sql.search import search_text
from lana_adapters.sql.tx import AnyRow
from lana_core.domain.customers import Customer, CustomerStatus, CustomerValue
from lana_core.domain.projects import Priority, Project, ProjectStatus, Task
from lana_core.domain.sessions import Session
from lana_core.domain.tenancy import Role, Tenant, TenantSettings, User

Values = dict[str, Any]


def tenant_values(tenant: Tenant) -> Values:
    settings = tenant.settings
    return {
        "id": tenant.id,
        "slug": tenant.slug,
        "name": tenant.name,
        "settings": {
            "agents_see_only_own_customers": settings.agents_see_only_own_customers,
            "insight_max_age_seconds": settings.insight_max_age_seconds,
            "daily_model_call_budget": settings.daily_model_call_budget,
        },
        "created_at": tenant.created_at,
        "settings_version": tenant.settings_version,
    }


def tenant_of(row: AnyRow) -> Tenant:
    stored = row.settings
    defaults = TenantSettings()
    settings = TenantSettings(
        agents_see_only_own_customers=stored.get(
            "agents_see_only_own_customers", defaults.agents_see_only_own_customers
        ),
        insight_max_age_seconds=stored.get("insight_max_age_seconds", defaults.insight_max_age_seconds),
        daily_model_call_budget=stored.get("daily_model_call_budget", defaults.daily_model_call_budget),
    )
    return Tenant(
        id=row.id,
        slug=row.slug,
        name=row.name,
        settings=settings,
        created_at=row.created_at,
        settings_version=row.settings_version,
    )


def user_values(user: User) -> Values:
    return {
        "tenant_id": user.tenant_id,
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "password_hash": user.password_hash,
        "active": user.active,
        "version": user.version,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def user_of(row: AnyRow) -> User:
    return User(
        id=row.id,
        tenant_id=row.tenant_id,
        email=row.email,
        name=row.name,
        role=Role(row.role),
        password_hash=row.password_hash,
        active=row.active,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def session_values(session: Session) -> Values:
    return {
        "tenant_id": session.tenant_id,
        "id": session.id,
        "user_id": session.user_id,
        "refresh_id": session.refresh_id,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "revoked_at": session.revoked_at,
        "version": session.version,
    }


def session_of(row: AnyRow) -> Session:
    return Session(
        id=row.id,
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        refresh_id=row.refresh_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        version=row.version,
    )


def customer_values(customer: Customer) -> Values:
    return {
        "tenant_id": customer.tenant_id,
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "company": customer.company,
        "notes": customer.notes,
        "tags": list(customer.tags),
        "attributes": dict(customer.attributes),
        "value": customer.value.value,
        "status": customer.status.value,
        "owner_id": customer.owner_id,
        "version": customer.version,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
        "activated_at": customer.activated_at,
        "archived_at": customer.archived_at,
        "merged_into": customer.merged_into,
        "external_id": customer.external_id,
        "search_text": search_text(customer.name, customer.email, customer.company),
    }


def customer_of(row: AnyRow) -> Customer:
    return Customer(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        email=row.email,
        phone=row.phone,
        company=row.company,
        notes=row.notes,
        tags=tuple(row.tags),
        attributes=row.attributes,
        value=CustomerValue(row.value),
        status=CustomerStatus(row.status),
        owner_id=row.owner_id,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        activated_at=row.activated_at,
        archived_at=row.archived_at,
        merged_into=row.merged_into,
        external_id=row.external_id,
    )


def project_values(project: Project) -> Values:
    return {
        "tenant_id": project.tenant_id,
        "id": project.id,
        "customer_id": project.customer_id,
        "title": project.title,
        "description": project.description,
        "status": project.status.value,
        "priority": project.priority.value,
        "due_date": project.due_date,
        "assignee_id": project.assignee_id,
        "created_by": project.created_by,
        "version": project.version,
        "created_at": project.created_at,
        "updated_at": project.updated_at,
        "completed_at": project.completed_at,
        "archived_at": project.archived_at,
    }


def project_of(row: AnyRow) -> Project:
    return Project(
        id=row.id,
        tenant_id=row.tenant_id,
        customer_id=row.customer_id,
        title=row.title,
        description=row.description,
        status=ProjectStatus(row.status),
        priority=Priority(row.priority),
        due_date=row.due_date,
        assignee_id=row.assignee_id,
        created_by=row.created_by,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
        archived_at=row.archived_at,
    )


def task_values(task: Task) -> Values:
    return {
        "tenant_id": task.tenant_id,
        "id": task.id,
        "project_id": task.project_id,
        "customer_id": task.customer_id,
        "title": task.title,
        "description": task.description,
        "assignee_id": task.assignee_id,
        "due_date": task.due_date,
        "completed": task.completed,
        "completed_at": task.completed_at,
        "version": task.version,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
    }


def task_of(row: AnyRow) -> Task:
    return Task(
        id=row.id,
        tenant_id=row.tenant_id,
        project_id=row.project_id,
        customer_id=row.customer_id,
        title=row.title,
        description=row.description,
        assignee_id=row.assignee_id,
        due_date=row.due_date,
        completed=row.completed,
        completed_at=row.completed_at,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
