"""Admin: the tenant's webhook subscriptions, read-only but for pausing and resuming, each
with its latest deliveries. Creating and editing them stays with the API and the CLI.

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
from lana_core.errors import StaleVersion
from lana_core.usecases.webhooks import PAUSED_BY_ADMIN, ChangeWebhook
from lana_http.web import forms
from lana_http.web.context import Viewer, page
from lana_http.web.controllers._base import AnyRequest, PageController

DELIVERIES_SHOWN = 5
_ID = "/{subscription_id:uuid}"


class WebhooksController(PageController):
    path = "/admin/webhooks"

    @get("/", name="admin-webhooks")
    async def webhooks(self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]) -> Template:
        """Every subscription, newest first, with its latest deliveries."""
        return await webhooks_page(lana, viewer)

    @post(f"{_ID}/pause", name="admin-webhook-pause")
    async def pause(
        self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer], subscription_id: FromPath[UUID]
    ) -> Response[Any]:
        """Stop sending to a subscription; its events wait until it is resumed."""
        await lana.pause_webhook(viewer.actor, subscription_id, PAUSED_BY_ADMIN)
        return Redirect("/admin/webhooks", status_code=303)

    @post(f"{_ID}/resume", name="admin-webhook-resume")
    async def resume(
        self,
        *,
        request: AnyRequest,
        lana: NamedDependency[Lana],
        viewer: NamedDependency[Viewer],
        subscription_id: FromPath[UUID],
    ) -> Response[Any]:
        """Send to a paused subscription again, unless it changed since the page was read."""
        form = await request.form()
        command = ChangeWebhook(
            subscription_id=subscription_id, expected_version=forms.version(form), active=True
        )
        try:
            await lana.update_webhook(viewer.actor, command)
        except StaleVersion:
            error = "The subscription was changed meanwhile: it was not resumed. Here it is now."
            return await webhooks_page(lana, viewer, error=error, status=409)
        return Redirect("/admin/webhooks", status_code=303)


async def webhooks_page(
    lana: Lana, viewer: Viewer, *, error: str | None = None, status: int = 200
) -> Template:
    subscriptions = (await lana.list_webhooks(viewer.actor, PageRequest(limit=MAX_LIMIT))).items
    latest = PageRequest(limit=DELIVERIES_SHOWN)
    deliveries = {
        one.id: (await lana.list_webhook_deliveries(viewer.actor, one.id, latest)).items
        for one in subscriptions
    }
    return page(
        "admin/webhooks.html",
        viewer,
        status=status,
        section="admin",
        subscriptions=subscriptions,
        deliveries=deliveries,
        error=error,
    )
