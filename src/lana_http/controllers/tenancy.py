"""The actor's tenant and its settings, its users, and (when enabled) self-service sign-up."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from lana_core.app import Lana
from lana_core.domain.tenancy import Actor, User
from lana_core.usecases.tenants import ChangeTenantSettings, CreateTenant, CreateUser
from lana_core.usecases.users import ResetPassword
from lana_http.concurrency import (
    ETAG_HEADER,
    LOCATION_HEADER,
    IdempotencyKey,
    IfMatch,
    conditional,
    documented_change,
    with_etag,
)
from lana_http.controllers._common import API, DEFAULT_PAGE, Cursor, Limit, page_of
from lana_http.problems import READ, WRITE, documented
from lana_http.schemas.tenancy import (
    PasswordReset,
    RoleChange,
    TenantCreate,
    TenantCreated,
    TenantOut,
    TenantSettingsBody,
    UserCreate,
    UserOut,
    UserPage,
)


class TenantController(Controller):
    """The signed-in user's tenant and its settings."""

    path = f"{API}/tenant"
    tags = ("tenant",)

    @get("/", operation_id="getTenant", responses=documented(*READ), response_headers=[ETAG_HEADER])
    async def get_tenant(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor]
    ) -> Response[TenantOut]:
        """The signed-in user's tenant; its ETag is the version of its settings."""
        tenant = await lana.get_tenant(actor)
        return with_etag(TenantOut.of(tenant), tenant.settings_version)

    @put("/settings", operation_id="changeTenantSettings", **documented_change())
    async def change_settings(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        data: JSONBody[TenantSettingsBody],
        if_match: IfMatch = None,
    ) -> Response[TenantOut]:
        """Replace the tenant's settings (admins only); If-Match names the ETag read (428
        without it, 412 when another change came first)."""
        tenant = await conditional(
            if_match,
            lambda expected: lana.change_tenant_settings(
                actor, ChangeTenantSettings(settings=data.settings(), expected_version=expected)
            ),
        )
        return with_etag(TenantOut.of(tenant), tenant.settings_version)


USER = "/{user_id:uuid}"


class UserController(Controller):
    """The tenant's users: admins manage them, managers read them."""

    path = f"{API}/users"
    tags = ("users",)

    @get("/", operation_id="listUsers", responses=documented(*READ))
    async def list_users(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        limit: Limit = DEFAULT_PAGE,
        cursor: Cursor = None,
    ) -> UserPage:
        """The tenant's users by email (admins and managers)."""
        return UserPage.of(await lana.list_users(actor, page_of(limit, cursor)))

    @post(
        "/",
        operation_id="createUser",
        responses=documented(*WRITE),
        response_headers=[ETAG_HEADER, LOCATION_HEADER],
        opt={"idempotent": True},
    )
    async def create_user(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        data: JSONBody[UserCreate],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[UserOut]:
        """Add a user to the tenant (admins only); the password needs 12 characters or more."""
        command = CreateUser(email=data.email, name=data.name, role=data.role, password=data.password)
        user = await lana.create_user(actor, command)
        return with_etag(UserOut.of(user), user.version, status=201, location=f"{API}/users/{user.id}")

    @get(USER, operation_id="getUser", responses=documented(*READ), response_headers=[ETAG_HEADER])
    async def get_user(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], user_id: FromPath[UUID]
    ) -> Response[UserOut]:
        """One user of the tenant (admins and managers)."""
        return _user(await lana.get_user(actor, user_id))

    @post(
        f"{USER}/deactivate",
        operation_id="deactivateUser",
        status_code=200,
        responses=documented(*WRITE),
        response_headers=[ETAG_HEADER],
    )
    async def deactivate_user(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], user_id: FromPath[UUID]
    ) -> Response[UserOut]:
        """Stop a user from signing in and end its sessions at once (admins only; not oneself)."""
        return _user(await lana.deactivate_user(actor, user_id))

    @post(
        f"{USER}/reactivate",
        operation_id="reactivateUser",
        status_code=200,
        responses=documented(*WRITE),
        response_headers=[ETAG_HEADER],
    )
    async def reactivate_user(
        self, *, lana: NamedDependency[Lana], actor: NamedDependency[Actor], user_id: FromPath[UUID]
    ) -> Response[UserOut]:
        """Let a deactivated user sign in again (admins only); 409 when it is active."""
        return _user(await lana.reactivate_user(actor, user_id))

    @post(
        f"{USER}/role",
        operation_id="changeUserRole",
        status_code=200,
        responses=documented(*WRITE),
        response_headers=[ETAG_HEADER],
    )
    async def change_role(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        user_id: FromPath[UUID],
        data: JSONBody[RoleChange],
    ) -> Response[UserOut]:
        """Give a user another role, from its next request on (admins only; not oneself)."""
        return _user(await lana.change_user_role(actor, user_id, data.role))

    @post(
        f"{USER}/password",
        operation_id="resetUserPassword",
        status_code=200,
        responses=documented(*WRITE),
        response_headers=[ETAG_HEADER],
    )
    async def reset_password(
        self,
        *,
        lana: NamedDependency[Lana],
        actor: NamedDependency[Actor],
        user_id: FromPath[UUID],
        data: JSONBody[PasswordReset],
    ) -> Response[UserOut]:
        """Set another user's password and end all its sessions (admins only; one's own
        password is changed at `POST /auth/password`, with the current one)."""
        command = ResetPassword(user_id=user_id, new_password=data.new_password)
        return _user(await lana.reset_password(actor, command))


def _user(user: User) -> Response[UserOut]:
    return with_etag(UserOut.of(user), user.version)


class SignupController(Controller):
    """Self-service creation of tenants, mounted only when sign-up is allowed."""

    path = f"{API}/tenants"
    tags = ("tenant",)

    @post(
        "/",
        operation_id="createTenant",
        security=[{}],
        opt={"exclude_from_auth": True},
        responses=documented(*WRITE),
    )
    async def create_tenant(
        self, *, lana: NamedDependency[Lana], data: JSONBody[TenantCreate]
    ) -> TenantCreated:
        """Create a tenant and its first admin."""
        command = CreateTenant(
            slug=data.slug,
            name=data.name,
            admin_email=data.admin_email,
            admin_name=data.admin_name,
            admin_password=data.admin_password,
        )
        tenant, admin = await lana.create_tenant(command)
        return TenantCreated(tenant=TenantOut.of(tenant), admin_id=admin.user_id)
