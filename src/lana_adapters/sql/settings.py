"""How the SQL adapter connects: the database URL, pool limits, timeouts and roles."""

from __future__ import annotations

from attrs import frozen

DEFAULT_URL = "sqlite+aiosqlite:///./lana.db"
APP_ROLE = "lana_app"
RELAY_ROLE = "lana_relay"


@frozen(kw_only=True)
class SqlSettings:
    """Connection settings; the defaults run the embedded SQLite mode with no setup.

    ``app_role`` and ``relay_role`` are the PostgreSQL roles every transaction of the
    units of work and of the outbox relay switches to (``SET LOCAL ROLE``), so row-level
    security applies even when the login user owns the tables; None keeps the login
    user. Pool and statement limits apply to PostgreSQL; ``busy_timeout_ms`` to SQLite.
    """

    url: str = DEFAULT_URL
    # Twenty kept, none beyond: an overflow connection is opened for one checkout and closed
    # after it, and under steady load that churn (a server process and a sign-in each
    # time) costs an API worker much of its throughput.
    pool_size: int = 20
    max_overflow: int = 0
    pool_timeout_seconds: float = 5.0
    connect_timeout_seconds: float = 5.0
    statement_timeout_ms: int = 5_000
    busy_timeout_ms: int = 5_000
    # On, a pooled connection is checked before use (one more round trip per unit of work)
    # so a server restart fails no request. Off, the first request on a dead connection
    # fails fast with Unavailable and the pool replaces every connection of that age.
    pool_pre_ping: bool = False
    app_role: str | None = APP_ROLE
    relay_role: str | None = RELAY_ROLE
    # On, a unit's first read leaves its tenant and role on the pooled connection's session,
    # so the next unit of that tenant there reads in one statement instead of a pipeline
    # with the scope. Off behind a pooler in transaction mode
    # (PgBouncer), whose server sessions move between clients.
    session_scope: bool = True
