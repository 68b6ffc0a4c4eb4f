"""An in-process event bus: topic subscriptions, handlers awaited in the publisher's task."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from lana_core.domain.events import DomainEvent, matches
from lana_core.errors import Unavailable

Handler = Callable[[DomainEvent], Awaitable[None]]


class HandlerFailures(Unavailable):
    """Some handlers raised while others ran to the end; ``errors`` holds each (event, error)."""

    def __init__(self, errors: Sequence[tuple[DomainEvent, Exception]]) -> None:
        self.errors = tuple(errors)
        names = ", ".join(sorted({event.type for event, _ in self.errors}))
        super().__init__(f"{len(self.errors)} event handler call(s) failed for: {names}")


class InMemoryEventBus:
    """An :class:`~lana_core.ports.EventPublisher` that calls subscribed handlers directly.

    ``publish`` awaits every handler whose AMQP topic pattern matches, event by event,
    in subscription order. A failing handler does not stop the others: after all have
    run, the failures are raised together as :class:`HandlerFailures` (an Unavailable,
    so a relay treats it as a failed publish and retries; handlers must be idempotent).
    """

    __slots__ = ("_subscriptions",)

    def __init__(self) -> None:
        self._subscriptions: list[tuple[str, Handler]] = []

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler`` for events whose type matches ``pattern``; returns an unsubscribe function."""
        subscription = (pattern, handler)
        self._subscriptions.append(subscription)

        def unsubscribe() -> None:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)

        return unsubscribe

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """Deliver each event to every matching handler; raises HandlerFailures after all ran."""
        failures: list[tuple[DomainEvent, Exception]] = []
        for event in events:
            for pattern, handler in tuple(self._subscriptions):
                if not matches(pattern, event.type):
                    continue
                try:
                    await handler(event)
                except Exception as error:  # one handler's failure must not starve the rest
                    failures.append((event, error))
        if failures:
            group = ExceptionGroup("event handlers failed", [error for _, error in failures])
            raise HandlerFailures(failures) from group
