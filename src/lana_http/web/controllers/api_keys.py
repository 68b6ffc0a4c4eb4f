"""Admin: the tenant's API keys (list, create showing the token once, revoke).

The pages are linked for admins only; the core refuses every other role (403 page).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from lana_core.app import Lana
from lana_core.domain.api_keys import lower_role
from lana_core.domain.tenancy import Role
from lana_core.errors import Conflict, ValidationError
from lana_core.usecases.api_keys import CreateApiKey, CreatedApiKey
from lana_http.web import forms
from lana_http.web.context import Viewer, page
from lana_http.web.controllers._base import AnyRequest, PageController, field_errors

_NEW_KEY_FIELDS = ("name", "role", "expires_at")


class ApiKeysController(PageController):
    path = "/admin/api-keys"

    @get("/", name="admin-api-keys")
    async def keys(self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]) -> Template:
        """The tenant's keys, revoked and expired ones too, and the form for a new one."""
        return await keys_page(lana, viewer)

    @post("/", name="admin-api-key-create")
    async def create(
        self, *, request: AnyRequest, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]
    ) -> Response[Any]:
        """Create a key; its token is on the answer's page and nowhere else, ever."""
        form = await request.form()
        try:
            command = CreateApiKey(
                name=forms.text(form, "name"),
                role=forms.required_choice(Role, form, "role"),
                expires_at=_expiry(form),
            )
            created = await lana.create_api_key(viewer.actor, command)
        except ValidationError as error:
            return await keys_page(lana, viewer, errors=field_errors(error), values=form, status=422)
        # Never cached or kept in history: the page holds the only copy of the secret.
        return await keys_page(lana, viewer, created=created, headers={"Cache-Control": "no-store"})

    @post("/{key_id:uuid}/revoke", name="admin-api-key-revoke")
    async def revoke(
        self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer], key_id: FromPath[UUID]
    ) -> Response[Any]:
        """Revoke a key: the next request made with it is refused."""
        try:
            await lana.revoke_api_key(viewer.actor, key_id)
        except Conflict as error:
            return await keys_page(lana, viewer, error=error.message, status=409)
        return Redirect("/admin/api-keys", status_code=303)


async def keys_page(
    lana: Lana,
    viewer: Viewer,
    *,
    created: CreatedApiKey | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    values: forms.Form | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Template:
    keys = await lana.list_api_keys(viewer.actor)
    shown = {name: forms.text(values or {}, name) for name in _NEW_KEY_FIELDS}
    # A key's role may be no higher than its creator's.
    roles = [role for role in Role if lower_role(role, viewer.role) is role]
    return page(
        "admin/api_keys.html",
        viewer,
        status=status,
        headers=headers,
        section="admin",
        keys=keys,
        now=lana.kernel.clock.now(),
        roles=roles,
        created=created,
        error=error,
        errors=errors or {},
        values=shown,
    )


def _expiry(form: forms.Form) -> datetime | None:
    """The key works until the start (00:00 UTC) of the day chosen; none: it never expires."""
    day = forms.day(form, "expires_at")
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)
