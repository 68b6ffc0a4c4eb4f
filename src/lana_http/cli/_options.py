"""Option types shared by the commands."""

from __future__ import annotations

import click

from lana_core.domain.choices import Choice


def choice_of(kind: type[Choice]) -> click.Choice[str]:
    """An option taking one of ``kind``'s values, in any case, passed on in its one spelling
    (``--role MANAGER`` gives ``manager``); any other value exits 2 listing them."""
    return click.Choice(kind.allowed(), case_sensitive=False)
