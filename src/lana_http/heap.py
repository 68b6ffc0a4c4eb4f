"""How a serving process's garbage collector treats what start-up left behind."""

from __future__ import annotations

import gc

# Container objects allocated (less those freed) between two young-generation collections.
# At Python's default of 700 a worker collects after every request or two, and the requests
# in flight at that moment are scanned again as survivors. Ten times as many collects a tenth
# as often, for a few hundred kilobytes.
YOUNG_COLLECTION_THRESHOLD = 7_000


def settle_heap() -> None:
    """Once a worker has started, leave what it holds out of later collections.

    The modules, the app, its routes and the adapters' pools live as long as the process;
    left in the oldest generation, every full collection walks them all with the event
    loop stopped, which becomes the slowest requests' whole delay. Frozen, a full
    collection walks only what was kept since.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, oldest)
