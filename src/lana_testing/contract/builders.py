"""Valid domain records built directly, for tests that drive the UnitOfWork port itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import UUID, uuid4

import attrs
import pytest

from lana_core.domain.analytics import AnalyticsEvent
from lana_core.domain.audit import AuditEntry, FieldChange
from lana_core.domain.customers import ContactDetails, Customer, CustomerStatus, CustomerValue
from lana_core.domain.events import CUSTOMER_CREATED, DomainEvent
from lana_core.domain.insights import ChurnRisk, Insight, InsightSource, Signal
from lana_core.domain.interactions import Interaction, InteractionType
from lana_core.domain.projects import Priority, Project, Task
from lana_core.domain.tenancy import Actor, Role, Tenant, User
from lana_core.errors import StaleVersion
from lana_core.ports import UnitOfWork
from lana_core.usecases._base import Kernel
from lana_testing.support import make_tenant


def customer(
    tenant_id: UUID,
    now: datetime,
    *,
    name: str = "Grace Hopper",
    email: str | None = None,
    owner_id: UUID | None = None,
) -> Customer:
    details = ContactDetails.parse(
        name=name,
        email=email,
        phone="+1 555 010 2030",
        company="Navy",
        notes="met at a conference",
        tags=("vip", "navy"),
        attributes={"employees": 12, "region": "us-east", "score": 0.5, "active": True, "fax": None},
    )
    return Customer.create(
        id=uuid4(),
        tenant_id=tenant_id,
        details=details,
        value=CustomerValue.HIGH,
        status=CustomerStatus.PROSPECT,
        owner_id=owner_id,
        now=now,
    )


def unstorable_customer(tenant_id: UUID, now: datetime) -> Customer:
    """A customer whose name PostgreSQL cannot store (a NUL), made past the core's validation,
    which refuses it: for tests of what an adapter does with text its database refuses."""
    return attrs.evolve(customer(tenant_id, now), name="nul \x00 byte")


def tenant(now: datetime, slug: str = "globex") -> Tenant:
    return Tenant.create(id=uuid4(), slug=slug, name=f"{slug} inc", now=now)


def user(tenant_id: UUID, now: datetime, email: str = "lin@example.com") -> User:
    return User.create(
        id=uuid4(), tenant_id=tenant_id, email=email, name="Lin", role=Role.AGENT, password_hash="x", now=now
    )


def project(tenant_id: UUID, customer_id: UUID, now: datetime, created_by: UUID) -> Project:
    return Project.create(
        id=uuid4(),
        tenant_id=tenant_id,
        customer_id=customer_id,
        title="Launch",
        description="the first launch",
        priority=Priority.HIGH,
        due_date=now.date(),
        assignee_id=None,
        created_by=created_by,
        now=now,
    )


def task(project: Project, now: datetime) -> Task:
    return Task.create(
        id=uuid4(),
        tenant_id=project.tenant_id,
        project_id=project.id,
        customer_id=project.customer_id,
        title="Write the press release",
        description=None,
        assignee_id=None,
        due_date=None,
        now=now,
    )


def interaction(tenant_id: UUID, customer_id: UUID, author_id: UUID, when: datetime) -> Interaction:
    return Interaction.record(
        id=uuid4(),
        tenant_id=tenant_id,
        customer_id=customer_id,
        type=InteractionType.CALL,
        subject="Kick-off",
        content="Discussed the roadmap",
        occurred_at=when,
        author_id=author_id,
        now=when,
    )


def insight(
    tenant_id: UUID, customer_id: UUID, now: datetime, source: InsightSource = InsightSource.LLM
) -> Insight:
    return Insight(
        id=uuid4(),
        tenant_id=tenant_id,
        customer_id=customer_id,
        health_score=72,
        churn_risk=ChurnRisk.LOW,
        summary="Engaged and growing.",
        recommendations=("Offer the annual plan",),
        signals=(Signal("value", "high value tier", 10),),
        model="gpt-test",
        source=source,
        fallback_reason=None,
        latency_ms=12.5,
        prompt_tokens=100,
        completion_tokens=40,
        created_at=now,
    )


def event(tenant_id: UUID, aggregate_id: UUID, now: datetime) -> DomainEvent:
    return DomainEvent(
        id=uuid4(),
        type=CUSTOMER_CREATED,
        tenant_id=tenant_id,
        aggregate_type="customer",
        aggregate_id=aggregate_id,
        aggregate_version=1,
        occurred_at=now,
        actor_id=None,
        payload={"name": "Grace Hopper", "tags": ["vip"]},
    )


def audit_entry(tenant_id: UUID, customer_id: UUID, now: datetime) -> AuditEntry:
    return AuditEntry(
        id=uuid4(),
        tenant_id=tenant_id,
        actor_id=None,
        aggregate_type="customer",
        aggregate_id=customer_id,
        customer_id=customer_id,
        action=CUSTOMER_CREATED,
        changes=(FieldChange("name", None, "Grace Hopper"),),
        occurred_at=now,
    )


def analytics_event(
    tenant_id: UUID,
    when: datetime,
    name: str = "page.viewed",
    *,
    user_id: str | None = "u1",
    session_id: str | None = "s1",
    subject_id: UUID | None = None,
) -> AnalyticsEvent:
    return AnalyticsEvent.create(
        id=uuid4(),
        tenant_id=tenant_id,
        name=name,
        user_id=user_id,
        session_id=session_id,
        subject_type=None if subject_id is None else "customer",
        subject_id=subject_id,
        properties={"path": "/customers"},
        occurred_at=when,
        now=when,
    )


Write = Callable[[UnitOfWork], Awaitable[object]]


def updating(customer: Customer) -> Write:
    """A write that stores ``customer`` over its previous version."""
    return lambda uow: uow.customers.update(customer)


async def commit_in(uow: UnitOfWork, *writes: Write) -> None:
    """Run each write in ``uow``, then commit it."""
    for write in writes:
        await write(uow)
    await uow.commit()


async def emails_of_two_tenants(kernel: Kernel, admin: Actor, now: datetime) -> tuple[Customer, list[str]]:
    """A stored customer of ``admin``'s tenant (mine@example.com), one of another new tenant
    (theirs@example.com), and 602 emails to look up: 600 nobody has, then those two, to show
    a lookup finds its own tenant's only, however long the list."""
    other = await make_tenant(kernel, f"other-{uuid4().hex[:6]}")
    mine = customer(admin.tenant_id, now, email="mine@example.com")
    theirs = customer(other.tenant_id, now, email="theirs@example.com")
    await commit_new(kernel, admin.tenant_id, lambda uow: uow.customers.add(mine))
    await commit_new(kernel, other.tenant_id, lambda uow: uow.customers.add(theirs))
    return mine, [f"free{n}@example.com" for n in range(600)] + ["mine@example.com", "theirs@example.com"]


async def refused_as_stale(
    kernel: Kernel,
    tenant_id: UUID,
    winner: Write,
    stale: Write,
    read: Callable[[UnitOfWork], Awaitable[object]],
) -> object:
    """Commit ``winner``, then check that ``stale`` (a write of the version ``winner``
    replaced) is refused with StaleVersion; returns what ``read`` finds stored afterwards."""
    await commit_new(kernel, tenant_id, winner)
    async with kernel.uow(tenant_id) as uow:
        with pytest.raises(StaleVersion):
            await commit_in(uow, stale)
    async with kernel.uow(tenant_id) as uow:
        return await read(uow)


async def commit_new(kernel: Kernel, tenant_id: UUID, *writes: Write) -> None:
    """Open a unit of work for ``tenant_id``, run each write, commit."""
    async with kernel.uow(tenant_id) as uow:
        await commit_in(uow, *writes)
