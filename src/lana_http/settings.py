"""What the HTTP driver and the ``lana`` command read: the ``http`` group of the one settings
object (:class:`~lana_adapters.settings.Settings`), comma-separated lists as tuples."""

from __future__ import annotations

from lana_adapters.security.settings import HttpSettings

__all__ = ["HttpSettings"]
