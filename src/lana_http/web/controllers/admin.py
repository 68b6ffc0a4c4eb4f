"""Admin: the tenant's users (create, change role, deactivate) and its settings.

The pages are linked for admins only; the core refuses every other role (403 page).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from lana_core.app import Lana
from lana_core.domain.pagination import MAX_LIMIT, PageRequest
from lana_core.domain.policy import Action, Resource, authorize
from lana_core.domain.tenancy import Role, TenantSettings
from lana_core.errors import Conflict, StaleVersion, ValidationError
from lana_core.usecases.tenants import ChangeTenantSettings, CreateUser
from lana_http.web import forms
from lana_http.web.context import Viewer, page
from lana_http.web.controllers._base import AnyRequest, PageController, field_errors, refusal_status

_NEW_USER_FIELDS = ("email", "name", "role", "password")
_SETTING_NUMBERS = ("insight_max_age_seconds", "daily_model_call_budget")


class AdminController(PageController):
    path = "/admin"

    @get("/users", name="admin-users")
    async def users(self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]) -> Template:
        """The tenant's users and the form for a new one."""
        return await users_page(lana, viewer)

    @post("/users", name="admin-user-create")
    async def create_user(
        self, *, request: AnyRequest, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]
    ) -> Response[Any]:
        """Add a user with a role and a first password."""
        form = await request.form()
        try:
            command = CreateUser(
                email=forms.text(form, "email"),
                name=forms.text(form, "name"),
                role=forms.required_choice(Role, form, "role"),
                password=forms.text(form, "password"),
            )
            user = await lana.create_user(viewer.actor, command)
        except ValidationError as error:
            return await users_page(lana, viewer, errors=field_errors(error), values=form, status=422)
        except Conflict as error:
            return await users_page(lana, viewer, errors={"email": error.message}, values=form, status=409)
        return await users_page(lana, viewer, notice=f"{user.email} can now sign in as {user.role.value}.")

    @post("/users/{user_id:uuid}/role", name="admin-user-role")
    async def change_role(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        user_id: FromPath[UUID],
    ) -> Response[Any]:
        """Give another user a new role; it applies from their next request."""
        form = await request.form()
        try:
            await lana.change_user_role(viewer.actor, user_id, forms.required_choice(Role, form, "role"))
        except (ValidationError, Conflict) as error:
            return await users_page(lana, viewer, error=_message(error), status=refusal_status(error))
        return Redirect("/admin/users", status_code=303)

    @post("/users/{user_id:uuid}/deactivate", name="admin-user-deactivate")
    async def deactivate(
        self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer], user_id: FromPath[UUID]
    ) -> Response[Any]:
        """Deactivate another user: they cannot sign in, and their sessions end now."""
        try:
            await lana.deactivate_user(viewer.actor, user_id)
        except Conflict as error:
            return await users_page(lana, viewer, error=error.message, status=409)
        return Redirect("/admin/users", status_code=303)

    @get("/settings", name="admin-settings")
    async def settings(self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]) -> Template:
        """The tenant's settings, holding the version they were read at."""
        return await settings_page(lana, viewer)

    @post("/settings", name="admin-settings-save")
    async def save_settings(
        self, *, request: AnyRequest, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]
    ) -> Response[Any]:
        """Replace the settings, unless another admin changed them since they were read."""
        form = await request.form()
        try:
            settings = TenantSettings(
                agents_see_only_own_customers=forms.text(form, "agents_see_only_own_customers") == "on",
                insight_max_age_seconds=_whole(form, "insight_max_age_seconds"),
                daily_model_call_budget=_whole(form, "daily_model_call_budget"),
            )
            command = ChangeTenantSettings(settings=settings, expected_version=forms.version(form))
            await lana.change_tenant_settings(viewer.actor, command)
        except StaleVersion:
            error = "Another admin changed the settings meanwhile: nothing was saved. Here they are now."
            return await settings_page(lana, viewer, error=error, status=409)
        except ValidationError as error:
            return await settings_page(lana, viewer, errors=field_errors(error), status=422)
        return await settings_page(lana, viewer, notice="Settings saved.")


async def users_page(
    lana: Lana,
    viewer: Viewer,
    *,
    notice: str | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    values: forms.Form | None = None,
    status: int = 200,
) -> Template:
    # Managers read users too (to assign work); this page manages them, which is the admins'.
    tenant = await lana.get_tenant(viewer.actor)
    authorize(viewer.actor, Action.CREATE, Resource.USER, settings=tenant.settings)
    users = await lana.list_users(viewer.actor, PageRequest(limit=MAX_LIMIT))
    shown = {name: forms.text(values or {}, name) for name in _NEW_USER_FIELDS}
    shown["password"] = ""  # never sent back
    return page(
        "admin/users.html",
        viewer,
        status=status,
        section="admin",
        users=users.items,
        roles=list(Role),
        notice=notice,
        error=error,
        errors=errors or {},
        values=shown,
    )


async def settings_page(
    lana: Lana,
    viewer: Viewer,
    *,
    notice: str | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    tenant = await lana.get_tenant(viewer.actor)
    # Any user reads its own tenant; its settings are the admins' (the core's policy says so).
    authorize(viewer.actor, Action.READ, Resource.SETTINGS, settings=tenant.settings)
    return page(
        "admin/settings.html",
        viewer,
        status=status,
        section="admin",
        tenant=tenant,
        notice=notice,
        error=error,
        errors=errors or {},
    )


def _whole(form: forms.Form, name: str) -> int:
    value = forms.text(form, name).strip()
    try:
        return int(value)
    except ValueError:
        raise ValidationError.single(name, "invalid", "must be a whole number") from None


def _message(error: ValidationError | Conflict) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(item.message for item in error.errors)
    return error.message
