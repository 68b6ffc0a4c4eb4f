"""What a receiver got, in the terms of RabbitMQ's Jepsen checker: of the events sent, how many
it never applied (lost), applied more than once (duplicates), and applied after a newer
event of the same aggregate (order inversions)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from uuid import UUID

from attrs import frozen

from lana_core.domain.events import DomainEvent


@frozen
class DeliveryReport:
    sent: int
    lost: int
    duplicates: int
    inversions: int

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, lost {self.lost}, duplicated at the receiver {self.duplicates},"
            f" order inversions {self.inversions}"
        )


def check(sent: Sequence[DomainEvent], applied: Sequence[str]) -> DeliveryReport:
    """``applied``: the event ids the receiver accepted (answered 2xx), in the order it did."""
    versions: dict[str, tuple[UUID, int]] = {str(e.id): (e.aggregate_id, e.aggregate_version) for e in sent}
    counts = Counter(applied)
    return DeliveryReport(
        sent=len(sent),
        lost=sum(1 for event_id in versions if event_id not in counts),
        duplicates=sum(count - 1 for count in counts.values()),
        inversions=order_inversions(applied, versions),
    )


def order_inversions(applied: Sequence[str], versions: Mapping[str, tuple[object, int]]) -> int:
    """How many of the ``applied`` event ids (in the order applied) came after a newer event
    of their aggregate; ``versions``: event id -> (aggregate, version); an unknown id counts
    as version 0 of an unknown aggregate."""
    newest: dict[object, int] = {}
    inversions = 0
    for event_id in applied:
        aggregate, version = versions.get(event_id, ("?", 0))
        inversions += version < newest.get(aggregate, 0)
        newest[aggregate] = max(version, newest.get(aggregate, 0))
    return inversions
