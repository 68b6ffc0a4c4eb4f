"""In-memory adapters of every port: for tests, and for embedding Lana in one process.

One :class:`InMemoryStore` holds every tenant's records; units of work stage their
writes and apply them atomically at commit; entities are frozen, so they are shared,
never copied.
"""

from lana_core.memory._bus import HandlerFailures, InMemoryEventBus
from lana_core.memory._cache import InMemoryCache, NoCache
from lana_core.memory._clock import ManualClock
from lana_core.memory._counters import InMemoryActivityCounters
from lana_core.memory._hashing import ScryptHasher
from lana_core.memory._outbox import InMemoryOutboxRelayStore
from lana_core.memory._store import InMemoryStore
from lana_core.memory._uow import InMemoryUnitOfWork, InMemoryUnitOfWorkFactory
from lana_core.memory._webhook_queue import InMemoryWebhookDeliveryQueue

__all__ = [
    "HandlerFailures",
    "InMemoryActivityCounters",
    "InMemoryCache",
    "NoCache",
    "InMemoryEventBus",
    "InMemoryOutboxRelayStore",
    "InMemoryStore",
    "InMemoryUnitOfWork",
    "InMemoryUnitOfWorkFactory",
    "InMemoryWebhookDeliveryQueue",
    "ManualClock",
    "ScryptHasher",
]
