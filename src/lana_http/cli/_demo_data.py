# ruff: noqa: S311 - sample data needs repeatable randomness, not secrecy
"""A realistic sample tenant, the same for the same seed: customers, their work and history,
and product analytics spread over the last 90 days."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from attrs import frozen

from lana_core.app import Lana
from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.interactions import InteractionType
from lana_core.domain.projects import Priority, ProjectStatus
from lana_core.domain.tenancy import Actor, Role
from lana_core.memory import ManualClock
from lana_core.usecases.analytics import IngestEvent, IngestEventsBatch
from lana_core.usecases.customers import ChangeCustomerStatus, CreateCustomer
from lana_core.usecases.insights import GenerateInsightsBatch
from lana_core.usecases.interactions import RecordInteraction
from lana_core.usecases.projects import ChangeProjectStatus, CreateProject
from lana_core.usecases.tasks import CreateTask
from lana_core.usecases.tenants import CreateTenant, CreateUser

DAYS = 90
EVENTS_PER_CUSTOMER = 20
BATCH = 1_000
_FIRST = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Ken",
    "Frances",
    "Tim",
    "Radia",
    "John",
)
_LAST = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Allen",
    "Berners",
)
_COMPANY = (
    "Analytical",
    "Difference",
    "Harbor",
    "Northwind",
    "Bluebird",
    "Quantum",
    "Granite",
    "Juniper",
    "Orbit",
)
_KIND = ("Engines", "Logistics", "Labs", "Foods", "Systems", "Health", "Studios", "Capital", "Works")
_WORK = ("Onboarding", "Data migration", "Quarterly review", "Integration", "Training", "Renewal", "Audit")
_STEPS = ("Kick-off call", "Collect requirements", "Draft plan", "Review with client", "Deliver", "Sign-off")
_EVENTS = ("page_view", "page_view", "page_view", "login", "feature_used", "report_exported", "invite_sent")
_TAGS = ("enterprise", "smb", "partner", "trial", "priority", "emea", "apac", "americas")


class SeededIds:
    """UUIDs drawn from a seeded generator: the same seed names every record the same."""

    __slots__ = ("_random",)

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def new_id(self) -> UUID:
        return UUID(int=self._random.getrandbits(128), version=4)


@frozen(kw_only=True)
class DemoPlan:
    seed: int
    customers: int
    tenant: str
    password: str


@frozen(kw_only=True)
class DemoSummary:
    tenant: str
    admin_email: str
    customers: int
    projects: int
    tasks: int
    interactions: int
    events: int
    insights: int


class DemoLoader:
    """Writes the sample tenant through the use cases, moving the clock as it goes."""

    def __init__(self, lana: Lana, clock: ManualClock, plan: DemoPlan, now: datetime) -> None:
        self._lana, self._clock, self._plan, self._now = lana, clock, plan, now
        self._random = random.Random(plan.seed)
        self._counts = {"projects": 0, "tasks": 0, "interactions": 0}

    async def load(self) -> DemoSummary:
        self._clock.set(self._now - timedelta(days=DAYS + 1))
        staff = await self._staff()
        high_value: list[UUID] = []
        for index in range(self._plan.customers):
            customer_id, value = await self._customer(index, self._random.choice(staff))
            if value is CustomerValue.HIGH:
                high_value.append(customer_id)
        self._clock.set(self._now)
        events = await self._events(staff[0])
        insights = await self._insights(staff[0], high_value[:50])
        return DemoSummary(
            tenant=self._plan.tenant,
            admin_email=self._email("admin"),
            customers=self._plan.customers,
            projects=self._counts["projects"],
            tasks=self._counts["tasks"],
            interactions=self._counts["interactions"],
            events=events,
            insights=insights,
        )

    async def _insights(self, actor: Actor, customer_ids: list[UUID]) -> int:
        if not customer_ids:
            return 0
        items = await self._lana.generate_insights_batch(
            actor, GenerateInsightsBatch(customer_ids=tuple(customer_ids))
        )
        return sum(1 for item in items if item.insight is not None)

    async def _staff(self) -> list[Actor]:
        _, admin = await self._lana.create_tenant(
            CreateTenant(
                slug=self._plan.tenant,
                name="Demo Ltd",
                admin_email=self._email("admin"),
                admin_name="Ada Admin",
                admin_password=self._plan.password,
            )
        )
        staff = [admin]
        for name, role in (
            ("maria", Role.MANAGER),
            ("sam", Role.AGENT),
            ("lee", Role.AGENT),
            ("vic", Role.VIEWER),
        ):
            user = await self._lana.create_user(
                admin,
                CreateUser(
                    email=self._email(name), name=name.title(), role=role, password=self._plan.password
                ),
            )
            staff.append(Actor(admin.tenant_id, user.id, role))
        return [actor for actor in staff if actor.role is not Role.VIEWER]

    async def _customer(self, index: int, owner: Actor) -> tuple[UUID, CustomerValue]:
        rng = self._random
        self._at(
            self._now - timedelta(days=DAYS) + timedelta(minutes=rng.randrange(DAYS * 24 * 60 - 7 * 24 * 60))
        )
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        company = f"{rng.choice(_COMPANY)} {rng.choice(_KIND)}"
        value = rng.choices(list(CustomerValue), weights=(3, 5, 2))[0]
        customer = await self._lana.create_customer(
            owner,
            CreateCustomer(
                name=f"{first} {last}",
                email=f"{first}.{last}.{index}@{company.split(maxsplit=1)[0].lower()}.example.com".lower(),
                phone=f"+1 555 {rng.randrange(1000, 9999)} {rng.randrange(100, 999)}",
                company=company,
                value=value,
                tags=tuple(sorted(set(rng.sample(_TAGS, rng.randrange(0, 3))))),
            ),
        )
        if rng.random() < 0.7:
            self._later(hours=rng.randrange(1, 72))
            status = CustomerStatus.ACTIVE if rng.random() < 0.75 else CustomerStatus.INACTIVE
            await self._lana.change_customer_status(
                owner, ChangeCustomerStatus(customer_id=customer.id, status=status)
            )
        for _ in range(rng.choices((0, 1, 2, 3), weights=(2, 4, 3, 1))[0]):
            await self._project(owner, customer.id)
        for _ in range(rng.randrange(0, 7)):
            await self._interaction(owner, customer.id)
        return customer.id, value

    async def _project(self, owner: Actor, customer_id: UUID) -> None:
        rng = self._random
        self._later(hours=rng.randrange(1, 96))
        due = self._clock.now().date() + timedelta(days=rng.randrange(7, 60))
        project = await self._lana.create_project(
            owner,
            CreateProject(
                customer_id=customer_id,
                title=rng.choice(_WORK),
                priority=rng.choice(list(Priority)),
                due_date=min(due, date(9999, 12, 31)),
            ),
        )
        self._counts["projects"] += 1
        steps = rng.randrange(0, 5)
        for _ in range(rng.randrange(0, 6)):
            self._later(hours=rng.randrange(1, 24))
            task = await self._lana.create_task(
                owner, CreateTask(project_id=project.id, title=rng.choice(_STEPS))
            )
            self._counts["tasks"] += 1
            if rng.random() < 0.5:
                await self._lana.complete_task(owner, task.id)
        for status in (ProjectStatus.IN_PROGRESS, ProjectStatus.REVIEW, ProjectStatus.DONE)[:steps]:
            self._later(hours=rng.randrange(1, 120))
            await self._lana.change_project_status(
                owner, ChangeProjectStatus(project_id=project.id, status=status)
            )

    async def _interaction(self, owner: Actor, customer_id: UUID) -> None:
        rng = self._random
        self._later(hours=rng.randrange(1, 240))
        kind = rng.choice(list(InteractionType))
        await self._lana.record_interaction(
            owner,
            RecordInteraction(
                customer_id=customer_id,
                type=kind,
                subject=f"{kind.value.title()} about {rng.choice(_WORK).lower()}",
                content=None if rng.random() < 0.5 else "Notes from the conversation.",
            ),
        )
        self._counts["interactions"] += 1

    async def _events(self, actor: Actor) -> int:
        rng, total = self._random, self._plan.customers * EVENTS_PER_CUSTOMER
        commands = []
        for _ in range(total):
            visitor = rng.randrange(self._plan.customers * 2)
            commands.append(
                IngestEvent(
                    name=rng.choice(_EVENTS),
                    user_id=f"visitor-{visitor}",
                    session_id=f"session-{visitor}-{rng.randrange(12)}",
                    occurred_at=self._now - timedelta(seconds=rng.randrange(DAYS * 24 * 3600)),
                )
            )
        for start in range(0, total, BATCH):
            await self._lana.ingest_events(actor, IngestEventsBatch(events=commands[start : start + BATCH]))
        return total

    def _email(self, name: str) -> str:
        return f"{name}@{self._plan.tenant}.example.com"

    def _at(self, when: datetime) -> None:
        self._clock.set(min(when, self._now))

    def _later(self, *, hours: int) -> None:
        self._at(self._clock.now() + timedelta(hours=hours))


def midnight_utc() -> datetime:
    """Today's midnight: runs on the same day with the same seed write the same times."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
