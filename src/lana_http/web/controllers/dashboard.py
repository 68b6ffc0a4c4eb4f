"""The dashboard: the tenant's figures and charts, drawn on the server, kept live from the
event stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any, cast

from litestar import get
from litestar.di import NamedDependency
from litestar.response import ServerSentEvent, ServerSentEventMessage, Template

from lana_adapters.events_stream import EventStream
from lana_core.app import Lana
from lana_core.domain.tenancy import TenantSettings
from lana_core.errors import Unauthenticated, Unavailable
from lana_core.usecases.crm_figures import InteractionsPerDay
from lana_core.usecases.dashboard import NEW_CUSTOMER_DAYS
from lana_http.controllers.events_stream import EVENT_STREAM_KEY, EVENT_STREAM_MEDIA_TYPE, visible
from lana_http.web import charts
from lana_http.web.context import Viewer, page, web_auth
from lana_http.web.controllers._base import AnyRequest, PageController
from lana_http.web.filters import label
from lana_http.web.session import SESSION_COOKIE

# A quiet stream still says something this often, so proxies keep it open and a session
# ended meanwhile is noticed.
KEEPALIVE_SECONDS = 15.0
LIVE_EVENT = "change"


class DashboardController(PageController):
    path = "/"

    @get("/", name="dashboard")
    async def dashboard(self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]) -> Template:
        """Customers, projects, tasks and activity, as figures and charts."""
        return page("dashboard/page.html", viewer, section="dashboard", **await _figures(lana, viewer))

    @get("/dashboard/figures", name="dashboard-figures")
    async def figures(self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]) -> Template:
        """The figures and charts alone: what the page swaps in when something changed."""
        return page("dashboard/_figures.html", viewer, **await _figures(lana, viewer))

    @get("/live", name="live", media_type=EVENT_STREAM_MEDIA_TYPE)
    async def live(
        self, *, request: AnyRequest, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]
    ) -> ServerSentEvent:
        """Server-sent events: ``change`` (with the event's type) whenever something the
        viewer may read changed in the tenant. Ends when the session does."""
        stream = request.app.state.get(EVENT_STREAM_KEY)
        if stream is None:
            raise Unavailable("live events are not enabled on this server")
        settings = (await lana.get_tenant(viewer.actor)).settings
        cookie = request.cookies.get(SESSION_COOKIE, "")
        return ServerSentEvent(_changes(request, cast("EventStream", stream), viewer, settings, cookie))


async def _figures(lana: Lana, viewer: Viewer) -> dict[str, Any]:
    # Three cached reads, each a round trip when the cache is remote: made together.
    board, tasks, interactions = await asyncio.gather(
        lana.get_dashboard(viewer.actor),
        lana.get_task_counts(viewer.actor),
        lana.get_interactions_per_day(viewer.actor, NEW_CUSTOMER_DAYS),
    )
    by_status = [(label(name), count) for name, count in board.customers_by_status.items()]
    by_value = [(label(name), board.customers_by_value.get(name, 0)) for name in ("high", "medium", "low")]
    projects = [(label(name), count) for name, count in board.projects_by_status.items()]
    new_per_day = [(_day(day.day), day.count) for day in board.new_customers_per_day]
    per_day = [(_day(day.day), day.total) for day in interactions.days]
    per_hour = [(f"{bucket.start:%H}:00", bucket.count) for bucket in board.events_per_hour_today]
    return {
        "board": board,
        "tasks": tasks,
        "customers_by_status": charts.horizontal("Customers by status", by_status),
        "customers_by_value": charts.horizontal("Customers by value", by_value),
        "projects_by_status": charts.horizontal("Projects by status", projects),
        "new_customers": charts.columns(f"New customers per day, last {NEW_CUSTOMER_DAYS} days", new_per_day),
        "interactions": charts.columns(f"Interactions per day, last {NEW_CUSTOMER_DAYS} days", per_day),
        "interactions_by_type": _by_type(interactions),
        "today": charts.columns("Product events per hour today (UTC)", per_hour, caption_every=3),
    }


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def _by_type(interactions: InteractionsPerDay) -> str:
    """The window's interactions per type, as a line under the chart."""
    return " · ".join(f"{label(kind)} {count}" for kind, count in interactions.by_type.items())


async def _changes(
    request: AnyRequest, stream: EventStream, viewer: Viewer, settings: TenantSettings, cookie: str
) -> AsyncIterator[ServerSentEventMessage]:
    auth = web_auth(request)
    async with stream.subscribe(viewer.actor.tenant_id) as events:
        yield ServerSentEventMessage(comment="subscribed", data=None)
        while True:
            try:
                event = await asyncio.wait_for(anext(events), KEEPALIVE_SECONDS)
            except TimeoutError:
                try:
                    await auth.session(cookie)
                except Unauthenticated:
                    return
                yield ServerSentEventMessage(comment="keep-alive", data=None)
                continue
            except StopAsyncIteration:
                return
            if visible(viewer.actor, settings, event):
                yield ServerSentEventMessage(event=LIVE_EVENT, data=event.type)
