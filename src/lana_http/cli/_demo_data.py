# ruff: noqa: S311 - sample data needs repeatable randomness, not secrecy
"""A realistic sample tenant, the same for the same seed on the same day: customers with 90
days of history at working hours (see ``_demo_history``), product analytics over the same
days, and, last, an insight for every customer, assessed on that history."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID

from attrs import frozen

from lana_core.app import Lana
from lana_core.domain.tenancy import Actor, Role
from lana_core.memory import ManualClock
from lana_core.usecases.analytics import IngestEvent, IngestEventsBatch
from lana_core.usecases.insights import MAX_BATCH_CUSTOMERS, GenerateInsightsBatch
from lana_core.usecases.tenants import CreateTenant, CreateUser
from lana_http.cli._demo_calendar import WorkingTime, working_moment
from lana_http.cli._demo_history import DAYS, CustomerHistory
from lana_http.cli._demo_names import PRODUCT_EVENTS

EVENTS_PER_CUSTOMER = 20
BATCH = 1_000
# Product events mostly come while people work; the rest at any hour.
EVENTS_AT_WORKING_HOURS = 0.85


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
        opened = working_moment(
            self._random, self._now - timedelta(days=DAYS + 5), self._now - timedelta(days=DAYS)
        )
        assert opened is not None, "five days always hold working time"
        self._clock.set(opened)
        staff = await self._staff()
        history = CustomerHistory(self._lana, self._clock, self._random, self._now, self._counts)
        customers = [
            await history.write(index, self._random.choice(staff)) for index in range(self._plan.customers)
        ]
        self._clock.set(self._now)
        events = await self._events(staff[0])
        insights = await self._insights(staff[0], customers)
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
        """Assess every customer once its whole history is written."""
        assessed = 0
        for start in range(0, len(customer_ids), MAX_BATCH_CUSTOMERS):
            chunk = tuple(customer_ids[start : start + MAX_BATCH_CUSTOMERS])
            items = await self._lana.generate_insights_batch(actor, GenerateInsightsBatch(customer_ids=chunk))
            assessed += sum(1 for item in items if item.insight is not None)
        return assessed

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

    async def _events(self, actor: Actor) -> int:
        rng, total = self._random, self._plan.customers * EVENTS_PER_CUSTOMER
        window = (self._now - timedelta(days=DAYS), self._now)
        working = WorkingTime(*window)
        commands = []
        for _ in range(total):
            visitor = rng.randrange(self._plan.customers * 2)
            moment = working.draw(rng) if rng.random() < EVENTS_AT_WORKING_HOURS else None
            commands.append(
                IngestEvent(
                    name=rng.choice(PRODUCT_EVENTS),
                    user_id=f"visitor-{visitor}",
                    session_id=f"session-{visitor}-{rng.randrange(12)}",
                    occurred_at=moment or window[0] + timedelta(seconds=rng.randrange(DAYS * 24 * 3600)),
                )
            )
        for start in range(0, total, BATCH):
            await self._lana.ingest_events(actor, IngestEventsBatch(events=commands[start : start + BATCH]))
        return total

    def _email(self, name: str) -> str:
        return f"{name}@{self._plan.tenant}.example.com"


def midnight_utc() -> datetime:
    """Today's midnight: runs on the same day with the same seed write the same times."""
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
