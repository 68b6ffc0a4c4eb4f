"""The operator's webhook routes (``LANA_WEBHOOK_ROUTES``) as subscriptions of every tenant.

Each route is one subscription in each tenant, marked as the operator's (read-only to the
tenant's admins), delivered, logged, retried and paused like the tenant's own. A tenant's
copies are brought in line with the routes at its first event after ``lana consume``
starts, so a tenant made later gets them with its first event, and a changed or removed
route changes or goes at the next start; a copy paused meanwhile is resumed then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from uuid import UUID

from lana_core.domain.webhooks import OperatorRoute
from lana_core.usecases._base import Kernel
from lana_core.usecases.webhooks import SyncOperatorWebhooksHandler

log = logging.getLogger(__name__)


class OperatorSubscriptions:
    """Syncs each tenant's copies of ``routes`` once per process (see the module)."""

    __slots__ = ("_locks", "_routes", "_sync", "_synced")

    def __init__(self, kernel: Kernel, routes: Sequence[OperatorRoute]) -> None:
        self._sync = SyncOperatorWebhooksHandler(kernel)
        self._routes = tuple(routes)
        self._synced: set[UUID] = set()
        self._locks: dict[UUID, asyncio.Lock] = {}

    async def ensure(self, tenant_id: UUID) -> None:
        """Sync the tenant's copies unless done since start; raises what the store raises."""
        if tenant_id in self._synced:
            return
        # Events of one tenant are handled concurrently: one of them syncs, the others wait.
        async with self._locks.setdefault(tenant_id, asyncio.Lock()):
            if tenant_id in self._synced:
                return
            changed = await self._sync(tenant_id, self._routes)
            if changed:
                log.info("webhook routes synced to tenant %s: %d subscriptions changed", tenant_id, changed)
            self._synced.add(tenant_id)
        self._locks.pop(tenant_id, None)
