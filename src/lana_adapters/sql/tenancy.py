"""Tenants (read across tenants, by id or slug) and the users of one tenant."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import bindparam, select

from lana_adapters.sql.paging import after, order_by, page_of
from lana_adapters.sql.prepared import Prepared
from lana_adapters.sql.repository import TxRepository
from lana_adapters.sql.rows import tenant_of, tenant_values, user_of, user_values
from lana_adapters.sql.tables import tenants, users
from lana_adapters.sql.writes import TenantRows, add, insert, writable
from lana_core.domain.pagination import Page, PageRequest, SortOrder
from lana_core.domain.tenancy import Tenant, User
from lana_core.errors import StaleVersion

_TENANT = Prepared(select(tenants).where(tenants.c.id == bindparam("id")))
_TENANT_BY_SLUG = Prepared(select(tenants).where(tenants.c.slug == bindparam("slug")))
_UPDATE_TENANT = Prepared(
    tenants.update().where(
        tenants.c.id == bindparam("w_id"), tenants.c.settings_version == bindparam("w_version")
    ),
    table=tenants,
    keys=[k for k in writable(tenants) if k not in ("id", "created_at")],
)
_INSERT_TENANT = insert(tenants)
_USER_BY_EMAIL = Prepared(
    select(users).where(users.c.tenant_id == bindparam("tenant"), users.c.email == bindparam("email"))
)
_USERS = TenantRows(users, "user", user_of, user_values)


class SqlTenantRepository(TxRepository):
    """Tenants of the whole database; the one repository not limited to its unit of work's tenant."""

    __slots__ = ()

    async def add(self, tenant: Tenant) -> None:
        """Store a new tenant; raises Conflict if the slug or id is taken."""
        await add(self._tx, _INSERT_TENANT, tenant_values(tenant))

    async def get(self, tenant_id: UUID) -> Tenant | None:
        row = await self._tx.first(_TENANT, {"id": tenant_id})
        return None if row is None else tenant_of(row)

    async def get_by_slug(self, slug: str) -> Tenant | None:
        row = await self._tx.first(_TENANT_BY_SLUG, {"slug": slug})
        return None if row is None else tenant_of(row)

    async def update(self, tenant: Tenant) -> None:
        """Store the tenant's new state; raises StaleVersion unless the stored settings are at
        the version before ``tenant.settings_version``."""
        values = tenant_values(tenant)
        params = {key: value for key, value in values.items() if key not in ("id", "created_at")}
        params.update(w_id=tenant.id, w_version=tenant.settings_version - 1)
        if await self._tx.write(_UPDATE_TENANT, params) != 1:
            raise StaleVersion(f"the settings of tenant {tenant.id} changed meanwhile; reload and retry")


class SqlUserRepository(TxRepository):
    """The users of the unit of work's tenant; emails are unique within it."""

    __slots__ = ()

    async def add(self, user: User) -> None:
        """Store a new user; raises Conflict if the email is taken in the tenant."""
        await _USERS.add(self._tx, user)

    async def get(self, user_id: UUID) -> User | None:
        return await _USERS.get(self._tx, user_id)

    async def get_by_email(self, email: str) -> User | None:
        row = await self._tx.first(_USER_BY_EMAIL, {"tenant": self._tx.tenant_id, "email": email})
        return None if row is None else user_of(row)

    async def update(self, user: User) -> None:
        """Store ``user``; raises Conflict unless the stored version is ``user.version - 1``
        or if its new email is taken."""
        await _USERS.update(self._tx, user)

    async def list(self, page: PageRequest) -> Page[User]:
        """Users ordered by email."""
        statement = select(users).where(users.c.tenant_id == self._tx.tenant_id)
        if page.after is not None:
            statement = statement.where(after(users.c.email, users.c.id, SortOrder.ASC, page.after, str))
        statement = statement.order_by(*order_by(users.c.email, users.c.id, SortOrder.ASC)).limit(
            page.limit + 1
        )
        return page_of(await self._tx.rows(statement), page, user_of, lambda user: user.email)
