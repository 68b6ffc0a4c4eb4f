"""The dashboard: the tenant's figures and charts, drawn on the server, kept live from the
event stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, cast

from litestar import get
from litestar.di import NamedDependency
from litestar.response import ServerSentEvent, ServerSentEventMessage, Template

from lana_adapters.events_stream import EventStream
from lana_core.app import Lana
from lana_core.domain.analytics import Dashboard, EventKind, Interval, Timeframe
from lana_core.domain.tenancy import TenantSettings
from lana_core.errors import Unauthenticated, Unavailable
from lana_core.usecases.my_work import MyWork
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
    board: Dashboard = await lana.get_dashboard(viewer.actor)
    # The CRM's own changes (customers, projects, tasks, interactions recorded), not product analytics.
    activity = await lana.get_time_series(viewer.actor, Timeframe.MONTH, Interval.DAY, EventKind.SYSTEM)
    work: MyWork = await lana.list_my_work(viewer.actor)
    by_status = [(label(name), count) for name, count in board.customers_by_status.items()]
    by_value = [(label(name), board.customers_by_value.get(name, 0)) for name in ("high", "medium", "low")]
    projects = [(label(name), count) for name, count in board.projects_by_status.items()]
    new_per_day = [(f"{day.day.day} {day.day:%b}", day.count) for day in board.new_customers_per_day]
    per_day = [(f"{bucket.start.day} {bucket.start:%b}", bucket.count) for bucket in activity]
    per_hour = [(f"{bucket.start:%H}:00", bucket.count) for bucket in board.events_per_hour_today]
    return {
        "board": board,
        "work": work,
        "customers_by_status": charts.horizontal("Customers by status", by_status),
        "customers_by_value": charts.horizontal("Customers by value", by_value),
        "projects_by_status": charts.horizontal("Projects by status", projects),
        "new_customers": charts.columns("New customers per day, last 30 days", new_per_day),
        "activity": charts.columns("Changes per day, last 30 days (records and interactions)", per_day),
        "today": charts.columns("Product events per hour today (UTC)", per_hour, caption_every=3),
    }


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
