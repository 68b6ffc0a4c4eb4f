"""Tenants (read across tenants, by id or slug) and the users of one tenant."""

from __future__ import annotations

from uuid import UUID

from lana_core.domain.pagination import Page, PageRequest, SortOrder
from lana_core.domain.tenancy import Tenant, User
from lana_core.memory._listing import paginate
from lana_core.memory._staging import Scope


class InMemoryTenantRepository:
    """Tenants of the whole store; the one repository not limited to its unit of work's tenant."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def add(self, tenant: Tenant) -> None:
        """Stage a new tenant; raises Conflict if the slug or id is taken."""
        self._scope.writing().tenants.add(self._scope.store.tenants, tenant)

    async def get(self, tenant_id: UUID) -> Tenant | None:
        return self._scope.staged.tenants.get(self._scope.store.tenants, tenant_id)

    async def get_by_slug(self, slug: str) -> Tenant | None:
        return self._scope.staged.tenants.find(self._scope.store.tenants, slug)

    async def update(self, tenant: Tenant) -> None:
        """Stage the tenant's new state; raises Conflict if it does not exist."""
        self._scope.writing().tenants.update(self._scope.store.tenants, tenant)


class InMemoryUserRepository:
    """The users of one tenant; emails are unique within it."""

    __slots__ = ("_scope",)

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    async def add(self, user: User) -> None:
        """Stage a new user; raises Conflict if the email is taken in the tenant."""
        self._scope.check_tenant(user.tenant_id, "user")
        self._scope.writing().users.add(self._scope.space().users, user)

    async def get(self, user_id: UUID) -> User | None:
        return self._scope.staged.users.get(self._scope.space().users, user_id)

    async def get_by_email(self, email: str) -> User | None:
        return self._scope.staged.users.find(self._scope.space().users, email)

    async def update(self, user: User) -> None:
        """Stage ``user``; raises Conflict unless the stored version is ``user.version - 1``
        or if its new email is taken."""
        self._scope.check_tenant(user.tenant_id, "user")
        self._scope.writing().users.update(self._scope.space().users, user)

    async def list(self, page: PageRequest) -> Page[User]:
        """Users ordered by email."""
        rows = self._scope.staged.users.values(self._scope.space().users)
        return paginate(rows, key=_email, kind=str, order=SortOrder.ASC, page=page)


def _email(user: User) -> str:
    return user.email
