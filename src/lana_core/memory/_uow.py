"""The in-memory unit of work: writes staged per unit, applied to the store all at once at commit."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar, overload
from uuid import UUID

from lana_core.memory._repositories.analytics import InMemoryAnalyticsStore
from lana_core.memory._repositories.api_keys import InMemoryApiKeyRepository
from lana_core.memory._repositories.customers import InMemoryCustomerRepository
from lana_core.memory._repositories.history import (
    InMemoryAuditLog,
    InMemoryInsightRepository,
    InMemoryInteractionRepository,
    InMemoryOutbox,
)
from lana_core.memory._repositories.import_jobs import InMemoryImportJobRepository
from lana_core.memory._repositories.projects import InMemoryProjectRepository, InMemoryTaskRepository
from lana_core.memory._repositories.sessions import InMemorySessionRepository
from lana_core.memory._repositories.tenancy import InMemoryTenantRepository, InMemoryUserRepository
from lana_core.memory._repositories.webhooks import InMemoryWebhookRepository
from lana_core.memory._staging import Scope
from lana_core.memory._store import InMemoryStore
from lana_core.ports import (
    AnalyticsStore,
    ApiKeyRepository,
    AuditLog,
    CustomerRepository,
    ImportJobRepository,
    InsightRepository,
    InteractionRepository,
    Outbox,
    ProjectRepository,
    SessionRepository,
    TaskRepository,
    TenantRepository,
    UserRepository,
    WebhookRepository,
)

R = TypeVar("R")


class _Repository(Generic[R]):
    """A repository built on a unit of work's first use of it: most units touch two or three of ten."""

    __slots__ = ("_make", "_name")

    def __init__(self, make: Callable[[Scope], R]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> _Repository[R]: ...

    @overload
    def __get__(self, uow: InMemoryUnitOfWork, owner: type) -> R: ...

    def __get__(self, uow: InMemoryUnitOfWork | None, owner: type) -> _Repository[R] | R:
        if uow is None:
            return self
        repository: R | None = uow._repositories.get(self._name)
        if repository is None:
            repository = uow._repositories[self._name] = self._make(uow._scope)
        return repository

    def __set__(self, uow: InMemoryUnitOfWork, repository: R) -> None:
        uow._repositories[self._name] = repository


class InMemoryUnitOfWork:
    """One transaction in one tenant over an :class:`InMemoryStore`.

    Reads see the store plus this unit's own staged writes. :meth:`commit` re-checks
    versions and unique keys, then applies everything without yielding to the event
    loop, so it is atomic under asyncio; it raises Conflict if another unit committed
    a clashing change first. Leaving the ``async with`` block without commit discards
    every staged write.
    """

    __slots__ = ("_repositories", "_scope")

    tenants = _Repository[TenantRepository](InMemoryTenantRepository)
    users = _Repository[UserRepository](InMemoryUserRepository)
    sessions = _Repository[SessionRepository](InMemorySessionRepository)
    api_keys = _Repository[ApiKeyRepository](InMemoryApiKeyRepository)
    webhooks = _Repository[WebhookRepository](InMemoryWebhookRepository)
    customers = _Repository[CustomerRepository](InMemoryCustomerRepository)
    projects = _Repository[ProjectRepository](InMemoryProjectRepository)
    tasks = _Repository[TaskRepository](InMemoryTaskRepository)
    interactions = _Repository[InteractionRepository](InMemoryInteractionRepository)
    insights = _Repository[InsightRepository](InMemoryInsightRepository)
    import_jobs = _Repository[ImportJobRepository](InMemoryImportJobRepository)
    audit = _Repository[AuditLog](InMemoryAuditLog)
    outbox = _Repository[Outbox](InMemoryOutbox)
    analytics = _Repository[AnalyticsStore](InMemoryAnalyticsStore)

    def __init__(self, store: InMemoryStore, tenant_id: UUID) -> None:
        self._scope = Scope(store, tenant_id)
        self._repositories: dict[str, Any] = {}

    async def __aenter__(self) -> InMemoryUnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._scope.discard()

    async def commit(self) -> None:
        """Make the staged changes visible to everyone; raises Conflict on a clash (and keeps nothing)."""
        self._scope.commit()

    async def rollback(self) -> None:
        self._scope.discard()


class InMemoryUnitOfWorkFactory:
    """Opens :class:`InMemoryUnitOfWork` instances on one shared store."""

    __slots__ = ("_store",)

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    def __call__(self, tenant_id: UUID) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self._store, tenant_id)
