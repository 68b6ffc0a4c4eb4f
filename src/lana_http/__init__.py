"""Lana over HTTP: a Litestar app and the ``lana`` command."""

from lana_http.app import create_app

__all__ = ["create_app"]
