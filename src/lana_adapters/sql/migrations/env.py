"""Alembic's entry point: migrate the database named in the config, under a lock.

Several processes may start at once: SQLite migrates holding its write lock for the
whole upgrade, PostgreSQL under an advisory lock; the others wait, then find nothing to do.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

from lana_adapters.sql.engine import create_sync_engine
from lana_adapters.sql.schema import include_object, schema_metadata

_MIGRATION_LOCK = text("SELECT pg_advisory_xact_lock(4242001)")


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=schema_metadata(),
        include_object=include_object(connection.dialect.name),
        compare_type=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        if sqlite:
            # The connection is in autocommit mode: the migration's transaction begins here,
            # holding the write lock from the start.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.execute(_MIGRATION_LOCK)
        context.run_migrations()


def _run_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url")
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("Lana's migrations run against a database, not as SQL scripts")
_run_online()
