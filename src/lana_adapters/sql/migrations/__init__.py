"""Alembic migrations of the SQL schema; run them with :func:`lana_adapters.sql.migrate.migrate`."""
