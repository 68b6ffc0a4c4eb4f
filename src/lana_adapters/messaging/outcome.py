"""What happened to each event of a publish batch, kept in per-aggregate order."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol
from uuid import UUID

from attrs import frozen

from lana_core.domain.events import DomainEvent
from lana_core.errors import Unavailable


@frozen(kw_only=True)
class BatchOutcome:
    """``published`` were confirmed by the broker; ``failed`` were refused one by one (id, reason);
    ``unsent`` were not tried (a failure earlier in their aggregate, a stop, or ``broken``);
    ``broken`` says why the broker became unusable mid-batch, if it did."""

    published: tuple[UUID, ...] = ()
    failed: tuple[tuple[UUID, str], ...] = ()
    unsent: tuple[UUID, ...] = ()
    broken: str | None = None


class BatchPublisher(Protocol):
    """Publishes a batch event by event and says what became of each one."""

    async def publish_batch(self, events: Sequence[DomainEvent], stop: Callable[[], bool]) -> BatchOutcome:
        """Publish in order; after a failure of an event, its aggregate's later events stay unsent;
        once ``stop()`` is true, everything not yet tried stays unsent. Never raises for a broker failure."""
        ...

    async def tick(self) -> None:
        """Called while the relay idles: keep the connection alive."""
        ...


class Recorder:
    """Builds a :class:`BatchOutcome` while a publisher walks a batch."""

    __slots__ = ("_blocked", "_broken", "_failed", "_published", "_unsent")

    def __init__(self) -> None:
        self._published: list[UUID] = []
        self._failed: list[tuple[UUID, str]] = []
        self._unsent: list[UUID] = []
        self._blocked: set[UUID] = set()
        self._broken: str | None = None

    def may_send(self, event: DomainEvent, stop: Callable[[], bool]) -> bool:
        """Whether ``event`` is next to go; records it as unsent otherwise."""
        if self._broken is not None or event.aggregate_id in self._blocked or stop():
            self._unsent.append(event.id)
            return False
        return True

    def sent(self, event: DomainEvent) -> None:
        self._published.append(event.id)

    def refused(self, event: DomainEvent, reason: str) -> None:
        # Later events of this aggregate must not overtake the refused one.
        self._blocked.add(event.aggregate_id)
        self._failed.append((event.id, reason))

    def broke(self, event: DomainEvent, reason: str) -> None:
        self._broken = reason
        self._unsent.append(event.id)

    def outcome(self) -> BatchOutcome:
        return BatchOutcome(
            published=tuple(self._published),
            failed=tuple(self._failed),
            unsent=tuple(self._unsent),
            broken=self._broken,
        )


class OneByOne:
    """A :class:`BatchPublisher` over any ``EventPublisher`` (the in-memory bus, say).

    An Unavailable from one event counts as that event's failure; any other exception
    as the bus being broken for the rest of the batch.
    """

    __slots__ = ("_publish",)

    def __init__(self, publish: Callable[[Sequence[DomainEvent]], Awaitable[None]]) -> None:
        self._publish = publish

    async def publish_batch(self, events: Sequence[DomainEvent], stop: Callable[[], bool]) -> BatchOutcome:
        """Publish each event alone, in order; never raises for a failed publish."""
        recorder = Recorder()
        for event in events:
            if not recorder.may_send(event, stop):
                continue
            try:
                await self._publish([event])
            except Unavailable as error:
                recorder.refused(event, str(error))
            except Exception as error:  # the bus itself failed: keep the rest for later
                recorder.broke(event, f"{type(error).__name__}: {error}")
            else:
                recorder.sent(event)
        return recorder.outcome()

    async def tick(self) -> None:
        return None
