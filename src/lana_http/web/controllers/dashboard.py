"""The dashboard: the tenant's figures at a glance."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.response import Template

from lana_core.app import Lana
from lana_http.web.context import Viewer, page
from lana_http.web.controllers._base import PageController


class DashboardController(PageController):
    path = "/"

    @get("/", name="dashboard")
    async def dashboard(self, *, lana: NamedDependency[Lana], viewer: NamedDependency[Viewer]) -> Template:
        """Customers, projects and today's activity."""
        board = await lana.get_dashboard(viewer.actor)
        return page("dashboard.html", viewer, section="dashboard", board=board)
