"""How the SQL adapter connects: the database URL, pool limits, timeouts and roles (``LANA_DATABASE_*``)."""

from __future__ import annotations

from attrs import frozen

from lana_adapters.variables import variable

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

    url: str = variable(
        "LANA_DATABASE_URL",
        DEFAULT_URL,
        "SQLAlchemy URL: `sqlite+aiosqlite:///path` (embedded) or `postgresql+psycopg://user@host/db`;"
        " the relay reads its outbox, the consumer keeps its inbox there.",
    )
    # Twenty kept, none beyond: an overflow connection is opened for one checkout and closed
    # after it, and under steady load that churn (a server process and a sign-in each
    # time) costs an API worker much of its throughput.
    pool_size: int = variable("LANA_DATABASE_POOL_SIZE", 20, "Connections kept open per process.")
    max_overflow: int = variable(
        "LANA_DATABASE_MAX_OVERFLOW", 0, "Extra connections allowed under load, each closed after use."
    )
    pool_timeout_seconds: float = variable(
        "LANA_DATABASE_POOL_TIMEOUT_SECONDS", 5.0, "Wait for a free connection before failing with 503."
    )
    statement_timeout_ms: int = variable(
        "LANA_DATABASE_STATEMENT_TIMEOUT_MS", 5_000, "PostgreSQL statement timeout per query."
    )
    app_role: str | None = variable(
        "LANA_DATABASE_APP_ROLE",
        APP_ROLE,
        "PostgreSQL role transactions run as, so row-level security applies (empty: connect role).",
    )
    relay_role: str | None = variable(
        "LANA_DATABASE_RELAY_ROLE",
        RELAY_ROLE,
        "PostgreSQL role the outbox relay's transactions and the outbox gauges run as (empty: connect role).",
    )
    connect_timeout_seconds: float = variable(
        "LANA_DATABASE_CONNECT_TIMEOUT_SECONDS",
        5.0,
        "PostgreSQL connect timeout (whole seconds, at least 2); a refused connect is retried twice.",
    )
    # On, a pooled connection is checked before use (one more round trip per unit of work)
    # so a server restart fails no request. Off, the first request on a dead connection
    # fails fast with Unavailable and the pool replaces every connection of that age.
    pool_pre_ping: bool = variable(
        "LANA_DATABASE_POOL_PRE_PING",
        False,
        "Check each pooled connection before use (one more round trip); off, one found dead at BEGIN"
        " is replaced.",
    )
    # On, a unit's first read leaves its tenant and role on the pooled connection's session,
    # so the next unit of that tenant there reads in one statement instead of a pipeline
    # with the scope. Off behind a pooler in transaction mode
    # (PgBouncer), whose server sessions move between clients.
    session_scope: bool = variable(
        "LANA_DATABASE_SESSION_SCOPE",
        True,
        "PostgreSQL: a pooled connection keeps the tenant and role of its last read; turn off"
        " behind a transaction-mode pooler (PgBouncer).",
    )
    busy_timeout_ms: int = variable(
        "LANA_DATABASE_BUSY_TIMEOUT_MS",
        5_000,
        "SQLite: how long a writer waits for the write lock (then 503).",
    )
