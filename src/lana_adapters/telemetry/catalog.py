"""Every ``LANA_*`` variable any part of Lana reads, with its default and meaning.

The variables are those of :class:`~lana_adapters.settings.Settings`, the one settings
object every process reads; this is the view deployment checks use.
"""

from __future__ import annotations

from lana_adapters.settings import markdown_table, settings_table

Row = tuple[str, str, str]


def config_catalog() -> list[Row]:
    """(variable, default, meaning) of every variable, each once, in a stable order."""
    return settings_table()


def catalog_names() -> frozenset[str]:
    return frozenset(row[0] for row in config_catalog())


def catalog_markdown() -> str:
    """The catalog as the Markdown table docs/operations.md shows."""
    return markdown_table()
