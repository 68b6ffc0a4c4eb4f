"""Health of event delivery: a heartbeat file the workers touch, the dead-letter queue's size."""

from __future__ import annotations

import os
import time
from pathlib import Path

from lana_adapters.messaging.publisher import connect
from lana_adapters.messaging.settings import MessagingSettings
from lana_adapters.messaging.topology import Topology
from lana_core.errors import Unavailable


class HeartbeatFile:
    """Touched on every worker loop (at most once a second): a liveness probe checks its age."""

    __slots__ = ("_last", "_path")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._last = 0.0

    def touch(self) -> None:
        now = time.time()
        if now - self._last >= 1.0:
            self._path.write_text(f"{now:.3f}\n")
            self._last = now


def dlq_size(settings: MessagingSettings) -> int:
    """Messages in the consumer's dead-letter queue; raises Unavailable when the broker cannot answer."""
    conn = connect(settings, heartbeat=0)
    try:
        _, count, _ = conn.channel().queue_declare(
            queue=Topology.of(settings).dead_letter_queue, passive=True
        )
        return int(count)
    except Exception as error:
        raise Unavailable(f"cannot read the dead-letter queue: {error}") from error
    finally:
        conn.release()
