"""Pipelined publisher confirms: a window of events is published, then its confirms are awaited together.

One confirm round trip per window instead of one per event. The broker keeps a channel's
messages in publish order, and a window never holds two events of one aggregate, so an
event the broker refuses (nacks) never has a later event of its aggregate already on the
way: that one waits in a later window, which the batch's
:class:`~lana_adapters.messaging.outcome.Recorder` then holds back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from lana_core.domain.events import DomainEvent

WINDOW = 100  # events awaiting their confirms at once, at most
NACKED = "nacked by the broker"


class ConfirmTracker:
    """The delivery tags of one confirm-mode channel and what the broker answered for each.

    Tags count the channel's publishes from 1 (RabbitMQ's numbering after ``confirm.select``);
    an ack or nack with ``multiple`` answers every open tag up to its own.
    """

    __slots__ = ("_next", "_open", "answers")

    def __init__(self, channel: Any) -> None:
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        self._next = 1
        self._open: set[int] = set()
        self.answers: dict[int, str | None] = {}  # tag -> None when acked, else why not

    def sent(self) -> int:
        """The tag of the message just published."""
        tag, self._next = self._next, self._next + 1
        self._open.add(tag)
        return tag

    def outstanding(self, tags: Sequence[int]) -> bool:
        return any(tag in self._open for tag in tags)

    def forget(self, tags: Sequence[int]) -> None:
        for tag in tags:
            self.answers.pop(tag, None)

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._answer(tag, multiple, None)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._answer(tag, multiple, NACKED)

    def _answer(self, tag: int, multiple: bool, answer: str | None) -> None:
        answered = {t for t in self._open if t <= tag} if multiple else {tag} & self._open
        for t in answered:
            self.answers[t] = answer
        self._open -= answered


def windows(events: Sequence[DomainEvent], size: int = WINDOW) -> Iterator[list[DomainEvent]]:
    """``events`` in order, cut so that no window holds two events of one aggregate."""
    window: list[DomainEvent] = []
    aggregates: set[object] = set()
    for event in events:
        if len(window) >= size or event.aggregate_id in aggregates:
            yield window
            window, aggregates = [], set()
        window.append(event)
        aggregates.add(event.aggregate_id)
    if window:
        yield window


def await_confirms(
    drain: Callable[[float], None], tracker: ConfirmTracker, tags: Sequence[int], timeout: float
) -> None:
    """Read from the connection until every tag of ``tags`` is answered; raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while tracker.outstanding(tags):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no confirm within {timeout}s")
        drain(remaining)
