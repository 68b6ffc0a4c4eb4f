"""One sample customer's history over the demo's 90 days, written through the use cases.

The story of each customer is planned first and then written in time order with the clock
at each step's moment: a customer is created, mostly becomes active (some later lapse),
is contacted by email, call, meeting or note at working hours, and has projects that move
through their statuses towards a due date; most projects past their date were delivered,
and the tasks of a project are done before it is. Nothing is dated after the demo's "now".
"""

from __future__ import annotations

import random
from collections.abc import Mapping, MutableMapping
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from lana_core.app import Lana
from lana_core.domain.customers import CustomerStatus, CustomerValue
from lana_core.domain.interactions import InteractionType
from lana_core.domain.projects import Priority, ProjectStatus
from lana_core.domain.tenancy import Actor
from lana_core.memory import ManualClock
from lana_core.usecases.customers import ChangeCustomerStatus, CreateCustomer
from lana_core.usecases.interactions import RecordInteraction
from lana_core.usecases.projects import ChangeProjectStatus, CreateProject
from lana_core.usecases.tasks import CreateTask
from lana_http.cli._demo_calendar import (
    DAY_ENDS,
    Action,
    Timeline,
    fraction_elapsed,
    stage_moments,
    working_moment,
)
from lana_http.cli._demo_names import COMPANIES, FIRST_NAMES, KINDS, LAST_NAMES, STEPS, TAGS, WORK

DAYS = 90
# Of the projects and of the tasks whose due date has passed, the share delivered (on time or
# a little late); the rest are the overdue ones.
PROJECTS_DELIVERED_WHEN_DUE = 0.8
TASKS_DONE_WHEN_DUE = 0.9
_STAGES = (ProjectStatus.IN_PROGRESS, ProjectStatus.REVIEW, ProjectStatus.DONE)
_INTERACTION_WEIGHTS = {
    InteractionType.EMAIL: 4,
    InteractionType.CALL: 3,
    InteractionType.MEETING: 2,
    InteractionType.NOTE: 1,
}
_SUBJECTS = {
    InteractionType.EMAIL: "Email: {topic}",
    InteractionType.CALL: "Call about {topic}",
    InteractionType.MEETING: "Meeting on {topic}",
    InteractionType.NOTE: "Note on {topic}",
}
# What becomes of a customer over the 90 days: stays a prospect, is won, or is won and lapses.
_FATES = {CustomerStatus.PROSPECT: 30, CustomerStatus.ACTIVE: 52, CustomerStatus.INACTIVE: 18}
# Contacts a month, lowest to highest, by what becomes of the customer.
_CONTACTS_PER_MONTH = {
    CustomerStatus.PROSPECT: (0.0, 1.5),
    CustomerStatus.ACTIVE: (1.0, 4.0),
    CustomerStatus.INACTIVE: (1.0, 3.0),
}


class CustomerHistory:
    """Writes sample customers, each with its story; ``counts`` tallies what was written."""

    def __init__(
        self,
        lana: Lana,
        clock: ManualClock,
        rng: random.Random,
        now: datetime,
        counts: MutableMapping[str, int],
    ) -> None:
        self._lana, self._clock, self._rng, self._now = lana, clock, rng, now
        self._counts = counts

    async def write(self, index: int, owner: Actor) -> UUID:
        """Create customer number ``index`` owned by ``owner`` and write its history; its id."""
        rng = self._rng
        created = working_moment(rng, self._now - timedelta(days=DAYS), self._now - timedelta(days=3))
        assert created is not None, "87 days always hold working time"
        self._clock.set(created)
        customer_id = await self._create(index, owner)
        fate = rng.choices(list(_FATES), weights=list(_FATES.values()))[0]
        timeline = Timeline()
        quiet_from = self._plan_status(timeline, owner, customer_id, created, fate)
        self._plan_interactions(timeline, owner, customer_id, (created, quiet_from), fate)
        for _ in range(rng.choices((0, 1, 2, 3), weights=(2, 4, 3, 1))[0]):
            self._plan_project(timeline, owner, customer_id, created)
        await timeline.run(self._clock)
        return customer_id

    async def _create(self, index: int, owner: Actor) -> UUID:
        rng = self._rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = f"{rng.choice(COMPANIES)} {rng.choice(KINDS)}"
        domain = company.split(maxsplit=1)[0].lower()
        customer = await self._lana.create_customer(
            owner,
            CreateCustomer(
                name=f"{first} {last}",
                email=f"{first}.{last}.{index}@{domain}.example.com".lower(),
                phone=f"+1 555 {rng.randrange(1000, 9999)} {rng.randrange(100, 999)}",
                company=company,
                value=rng.choices(list(CustomerValue), weights=(3, 5, 2))[0],
                tags=tuple(sorted(set(rng.sample(TAGS, rng.randrange(0, 3))))),
            ),
        )
        return customer.id

    def _plan_status(
        self, timeline: Timeline, owner: Actor, customer_id: UUID, created: datetime, fate: CustomerStatus
    ) -> datetime:
        """Plan the customer's status changes; returns when its contacts stop (now, unless it lapses)."""
        if fate is CustomerStatus.PROSPECT:
            return self._now
        won = working_moment(self._rng, created, min(self._now, created + timedelta(days=10)))
        if won is None:
            return self._now
        timeline.at(won, self._status_change(owner, customer_id, CustomerStatus.ACTIVE))
        if fate is CustomerStatus.ACTIVE:
            return self._now
        quiet_from = won + (self._now - won) * self._rng.uniform(0.3, 0.7)
        lapsed = working_moment(self._rng, quiet_from + timedelta(days=7), self._now)
        if lapsed is not None:
            timeline.at(lapsed, self._status_change(owner, customer_id, CustomerStatus.INACTIVE))
        return quiet_from

    def _status_change(self, owner: Actor, customer_id: UUID, status: CustomerStatus) -> Action:
        async def change() -> None:
            await self._lana.change_customer_status(
                owner, ChangeCustomerStatus(customer_id=customer_id, status=status)
            )

        return change

    def _plan_interactions(
        self,
        timeline: Timeline,
        owner: Actor,
        customer_id: UUID,
        window: tuple[datetime, datetime],
        fate: CustomerStatus,
    ) -> None:
        rng = self._rng
        start, end = window
        per_month = rng.uniform(*_CONTACTS_PER_MONTH[fate])
        for _ in range(round(per_month * (end - start) / timedelta(days=30))):
            moment = working_moment(rng, start, end)
            if moment is not None:
                timeline.at(moment, self._interaction(owner, customer_id))

    def _interaction(self, owner: Actor, customer_id: UUID) -> Action:
        rng = self._rng
        kind = rng.choices(list(_INTERACTION_WEIGHTS), weights=list(_INTERACTION_WEIGHTS.values()))[0]
        subject = _SUBJECTS[kind].format(topic=rng.choice(WORK).lower())
        content = (
            "Notes from the conversation." if kind is InteractionType.NOTE or rng.random() < 0.5 else None
        )

        async def record() -> None:
            command = RecordInteraction(customer_id=customer_id, type=kind, subject=subject, content=content)
            await self._lana.record_interaction(owner, command)
            self._counts["interactions"] += 1

        return record

    def _plan_project(self, timeline: Timeline, owner: Actor, customer_id: UUID, earliest: datetime) -> None:
        rng = self._rng
        created = working_moment(rng, earliest + timedelta(hours=1), self._now - timedelta(days=1))
        if created is None:
            return
        due = (created + timedelta(days=rng.randrange(14, 75))).date()
        ids: dict[str, UUID] = {}
        timeline.at(created, self._new_project(owner, customer_id, due, ids))
        moments = self._stages(created, _end_of(due))
        for moment, status in zip(moments, _STAGES, strict=False):
            timeline.at(moment, self._project_status(owner, ids, status))
        delivered = moments[-1] if len(moments) == len(_STAGES) else None
        for number in range(rng.randrange(0, 6)):
            self._plan_task(
                timeline, owner, ids, number, window=(created, delivered or self._now), delivered=delivered
            )

    def _stages(self, created: datetime, due: datetime) -> list[datetime]:
        """When the project reaches each of its stages, as far as it got by now."""
        rng = self._rng
        if due < self._now:
            if rng.random() < PROJECTS_DELIVERED_WHEN_DUE:
                return stage_moments(rng, created, min(self._now, due + timedelta(days=2)), len(_STAGES))
            return stage_moments(rng, created, self._now, rng.randint(1, 2))
        progress = fraction_elapsed(created, due, self._now)
        if rng.random() < 0.25 * progress:  # delivered early
            return stage_moments(rng, created, self._now, len(_STAGES))
        reached = min(2, int(progress * 3 + rng.uniform(0, 1.2)))
        return stage_moments(rng, created, self._now, reached)

    def _new_project(self, owner: Actor, customer_id: UUID, due: date, ids: dict[str, UUID]) -> Action:
        rng = self._rng
        title, priority = rng.choice(WORK), rng.choice(list(Priority))

        async def create() -> None:
            command = CreateProject(customer_id=customer_id, title=title, priority=priority, due_date=due)
            ids["project"] = (await self._lana.create_project(owner, command)).id
            self._counts["projects"] += 1

        return create

    def _project_status(self, owner: Actor, ids: Mapping[str, UUID], status: ProjectStatus) -> Action:
        async def change() -> None:
            command = ChangeProjectStatus(project_id=ids["project"], status=status)
            await self._lana.change_project_status(owner, command)

        return change

    def _plan_task(
        self,
        timeline: Timeline,
        owner: Actor,
        ids: dict[str, UUID],
        number: int,
        *,
        window: tuple[datetime, datetime],
        delivered: datetime | None,
    ) -> None:
        rng = self._rng
        start, end = window
        created = working_moment(rng, start + timedelta(minutes=1), min(end, start + timedelta(days=10)))
        if created is None:
            return
        due = (created + timedelta(days=rng.randrange(3, 30))).date()
        key = f"task-{number}"
        timeline.at(created, self._new_task(owner, ids, key, due))
        done = self._task_done(created, _end_of(due), delivered)
        if done is not None:
            timeline.at(done, self._complete_task(owner, ids, key))

    def _task_done(self, created: datetime, due: datetime, delivered: datetime | None) -> datetime | None:
        """When the task is completed, or None while it is open."""
        rng = self._rng
        if delivered is not None:
            return working_moment(rng, created + timedelta(minutes=1), delivered)
        if due < self._now:
            if rng.random() >= TASKS_DONE_WHEN_DUE:
                return None
            return working_moment(
                rng, created + timedelta(minutes=1), min(self._now, due + timedelta(days=2))
            )
        if rng.random() >= 0.5 * fraction_elapsed(created, due, self._now):
            return None
        return working_moment(rng, created + timedelta(minutes=1), self._now)

    def _new_task(self, owner: Actor, ids: dict[str, UUID], key: str, due: date) -> Action:
        title = self._rng.choice(STEPS)

        async def create() -> None:
            command = CreateTask(project_id=ids["project"], title=title, due_date=due)
            ids[key] = (await self._lana.create_task(owner, command)).id
            self._counts["tasks"] += 1

        return create

    def _complete_task(self, owner: Actor, ids: Mapping[str, UUID], key: str) -> Action:
        async def complete() -> None:
            await self._lana.complete_task(owner, ids[key])

        return complete


def _end_of(day: date) -> datetime:
    """The end of the working day ``day``: what "due on" that day means."""
    return datetime.combine(day, DAY_ENDS, tzinfo=UTC)
