"""What a Redis outage costs the adapters that fail open, logged once per attempt on Redis
instead of once per call: while the circuit leaves Redis alone, losses are only counted."""

from __future__ import annotations

import logging

from lana_adapters.redis.connection import RedisDown


class LossLog:
    """Warns of ``count`` things lost and why, where ``message`` says what with one ``%d``.

    A loss refused by the open circuit is counted, not logged: it joins the line of the
    next real attempt that fails, or the one :meth:`recovered` writes once Redis answers
    again. An outage thus writes a line per circuit period, not one per request.
    """

    __slots__ = ("_logger", "_message", "_silenced")

    def __init__(self, logger: logging.Logger, message: str) -> None:
        self._logger = logger
        self._message = message
        self._silenced = 0

    def lost(self, count: int, error: RedisDown) -> None:
        if error.left_alone:
            self._silenced += count
            return
        total, self._silenced = count + self._silenced, 0
        self._logger.warning("%s: %s", self._message % total, error)

    def recovered(self) -> None:
        """Report the losses no line has counted yet (call after a success)."""
        if self._silenced:
            total, self._silenced = self._silenced, 0
            self._logger.warning("%s while redis was left alone", self._message % total)
