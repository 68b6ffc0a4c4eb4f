"""Default clock and id factory: the real time, and time-ordered UUIDs."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime
from uuid import UUID


class SystemClock:
    """The wall clock, in UTC."""

    __slots__ = ()

    def now(self) -> datetime:
        return datetime.now(UTC)


class TimeOrderedIds:
    """UUIDv7 (RFC 9562): a millisecond timestamp, then a counter, then randomness.

    Ids made by one factory sort in creation order, which keeps B-tree inserts local.
    """

    __slots__ = ("_last", "_lock", "_offset", "_random")

    # One system call fills the randomness of many ids: a call per id costs more than the rest of the id.
    _BATCH = 4096

    def __init__(self) -> None:
        self._last = 0
        self._lock = threading.Lock()
        self._random = b""
        self._offset = self._BATCH

    def new_id(self) -> UUID:
        with self._lock:
            # Milliseconds in the high bits, a 12-bit counter below them: monotonic even
            # when many ids are made within one millisecond.
            stamp = max(time.time_ns() // 1_000_000 << 12, self._last + 1)
            self._last = stamp
            if self._offset >= self._BATCH:
                self._random, self._offset = os.urandom(self._BATCH), 0
            start = self._offset
            self._offset = start + 8
        millis, counter = stamp >> 12, stamp & 0xFFF
        rand = int.from_bytes(self._random[start : start + 8]) & 0x3FFF_FFFF_FFFF_FFFF
        value = (millis << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
        return UUID(int=value)
