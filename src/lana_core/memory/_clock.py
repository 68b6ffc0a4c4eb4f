"""A clock that moves only when told to, so tests can pin and step time."""

from __future__ import annotations

from datetime import datetime, timedelta


class ManualClock:
    """A :class:`~lana_core.ports.Clock` that stays at ``start`` until :meth:`advance` or :meth:`set`.

    Raises ValueError for a naive ``start``, a naive :meth:`set` or a negative step.
    """

    __slots__ = ("_now",)

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, step: timedelta) -> datetime:
        """Move forward by ``step`` and return the new time; time never runs backwards."""
        if step < timedelta(0):
            raise ValueError("a clock cannot go back in time")
        self._now += step
        return self._now

    def set(self, when: datetime) -> None:
        self._now = _aware(when)


def _aware(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("the clock keeps timezone-aware times")
    return when
