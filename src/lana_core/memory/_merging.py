"""Customer merges and duplicate detection over one tenant's in-memory records."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from uuid import UUID

from attrs import evolve

from lana_core.domain.duplicates import MatchKey
from lana_core.domain.insights import Insight
from lana_core.memory._staging import Scope


def match_keys(scope: Scope) -> list[MatchKey]:
    """What duplicate detection reads of every live (not archived) customer."""
    rows = scope.staged.customers.values(scope.space().customers)
    return [
        MatchKey(id=c.id, name=c.name, email=c.email, phone=c.phone, company=c.company)
        for c in rows
        if c.archived_at is None
    ]


def move_related(scope: Scope, source_ids: Collection[UUID], target_id: UUID, now: datetime) -> None:
    """Stage the move of the projects, tasks, interactions and insights of ``source_ids`` to
    ``target_id``; each moved project, task and interaction gets its next version."""
    sources = frozenset(source_ids)
    staged, space = scope.writing(), scope.space()
    for project in [p for s in sources for p in staged.projects.children(space.projects, s)]:
        moved = evolve(project, customer_id=target_id, version=project.version + 1, updated_at=now)
        staged.projects.update(space.projects, moved)
    for task in [t for s in sources for t in staged.tasks.children(space.tasks, s)]:
        moved_task = evolve(task, customer_id=target_id, version=task.version + 1, updated_at=now)
        staged.tasks.update(space.tasks, moved_task)
    for interaction in [i for s in sources for i in staged.interactions.children(space.interactions, s)]:
        moved_interaction = evolve(interaction, customer_id=target_id, version=interaction.version + 1)
        staged.interactions.update(space.interactions, moved_interaction)
    staged.insights[:] = [
        evolve(i, customer_id=target_id) if i.customer_id in sources else i for i in staged.insights
    ]
    for source in sources:
        staged.moved_insights[source] = target_id


def moved_insights(scope: Scope, customer_id: UUID, committed: Sequence[Insight]) -> list[Insight]:
    """``committed`` (the customer's committed insights) as this unit's staged merges leave them."""
    moves = scope.staged.moved_insights
    if customer_id in moves:
        return []
    insights = scope.space().insights
    arrived = [
        evolve(i, customer_id=customer_id)
        for source, target in moves.items()
        if target == customer_id
        for i in insights.get(source, [])
    ]
    return sorted([*committed, *arrived], key=lambda i: (i.created_at, i.id))
