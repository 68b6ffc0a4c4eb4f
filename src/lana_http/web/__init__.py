"""The web app: server-rendered pages over the same use cases as the API, mounted at ``/``.

Pages are Jinja2 templates rendered by Litestar; htmx (served from the package, like every
asset) swaps parts of a page in place, and every form works without it. Nothing is loaded
from another origin, so the pages run under ``default-src 'self'``.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from litestar.datastructures import CacheControlHeader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler

from lana_http.web import filters
from lana_http.web.controllers.admin import AdminController
from lana_http.web.controllers.api_keys import ApiKeysController
from lana_http.web.controllers.auth import SignInController
from lana_http.web.controllers.customer_page import CustomerPageController
from lana_http.web.controllers.customer_transfer import CustomerTransferController
from lana_http.web.controllers.customers import CustomerListController
from lana_http.web.controllers.dashboard import DashboardController
from lana_http.web.controllers.duplicates import DuplicatesController
from lana_http.web.controllers.projects import ProjectController
from lana_http.web.controllers.webhooks import WebhooksController
from lana_http.web.controllers.work import WorkController
from lana_http.web.errors import pages_for_browsers

__all__ = ["pages_for_browsers", "template_config", "web_handlers"]

_HERE = Path(__file__).parent
TEMPLATES = _HERE / "templates"
STATIC = _HERE / "static"


def web_handlers() -> list[ControllerRouterHandler]:
    """The pages' controllers and the static files they use."""
    return [
        SignInController,
        DashboardController,
        CustomerListController,
        CustomerPageController,
        CustomerTransferController,
        DuplicatesController,
        ProjectController,
        WorkController,
        AdminController,
        ApiKeysController,
        WebhooksController,
        _static(),
    ]


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    filters.register(environment)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def _static() -> Router:
    return create_static_files_router(
        path="/static",
        directories=[STATIC],
        opt={"exclude_from_auth": True},
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=3600),
    )
