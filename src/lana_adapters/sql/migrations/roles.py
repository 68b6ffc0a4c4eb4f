"""The PostgreSQL roles migrations grant to: the application's and the relay's."""

from __future__ import annotations

import re

from alembic import op

from lana_adapters.sql.settings import APP_ROLE, RELAY_ROLE

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def roles() -> tuple[str, str]:
    """The application and relay role names this migration run was configured with."""
    config = op.get_context().config
    attributes = config.attributes if config is not None else {}
    app, relay = attributes.get("app_role") or APP_ROLE, attributes.get("relay_role") or RELAY_ROLE
    for role in (app, relay):
        if not _IDENTIFIER.match(role):
            raise ValueError(f"role name {role!r} must be a lower-case SQL identifier")
    return app, relay
