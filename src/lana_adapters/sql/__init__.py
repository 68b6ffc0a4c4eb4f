"""The SQL adapter: every repository port, the unit of work, outbox, audit log and analytics
store on SQLAlchemy Core, for PostgreSQL (psycopg 3) and SQLite (aiosqlite).

Typical wiring::

    engine = create_engine_from(SqlSettings(url=...))
    await ensure_schema(engine)
    uow_factory = SqlUnitOfWorkFactory(engine, app_role=settings.app_role)
    relay_store = SqlOutboxRelayStore(engine, role=settings.relay_role)
"""

from lana_adapters.sql.engine import create_engine_from
from lana_adapters.sql.migrate import alembic_config, ensure_schema, migrate
from lana_adapters.sql.outbox import NOTIFY_CHANNEL, SqlOutboxRelayStore
from lana_adapters.sql.settings import SqlSettings
from lana_adapters.sql.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from lana_core.domain.queries import RELEVANCE

__all__ = [
    "NOTIFY_CHANNEL",
    "RELEVANCE",
    "SqlOutboxRelayStore",
    "SqlSettings",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "alembic_config",
    "create_engine_from",
    "ensure_schema",
    "migrate",
]
