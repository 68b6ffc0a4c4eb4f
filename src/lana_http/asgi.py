"""The app as uvicorn workers load it: everything comes from ``LANA_*`` environment variables."""

from __future__ import annotations

from litestar import Litestar

from lana_adapters.container import Container
from lana_http.app import create_app
from lana_http.heap import settle_heap


def app_from_env() -> Litestar:
    """A new app over a new container; uvicorn calls it once per worker process, which then
    serves it alone (so the process's garbage collector is the app's to tune)."""
    app = create_app(Container())
    app.on_startup.append(settle_heap)
    return app
