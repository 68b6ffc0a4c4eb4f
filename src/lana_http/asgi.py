"""The app as uvicorn workers load it: everything comes from ``LANA_*`` environment variables."""

from __future__ import annotations

from litestar import Litestar

from lana_adapters.container import Container
from lana_http.app import create_app


def app_from_env() -> Litestar:
    """A new app over a new container; uvicorn calls it once per worker process."""
    return create_app(Container())
