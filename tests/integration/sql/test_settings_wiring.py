"""The LANA_DATABASE_* variables reach the SQL adapter's settings."""

from __future__ import annotations

from lana_adapters.settings import Settings


def test_every_database_variable_reaches_the_sql_settings() -> None:
    settings = Settings.from_env(
        {
            "LANA_DATABASE_URL": "postgresql+psycopg://lana@db/lana",
            "LANA_DATABASE_POOL_SIZE": "3",
            "LANA_DATABASE_MAX_OVERFLOW": "1",
            "LANA_DATABASE_POOL_TIMEOUT_SECONDS": "0.5",
            "LANA_DATABASE_CONNECT_TIMEOUT_SECONDS": "7",
            "LANA_DATABASE_STATEMENT_TIMEOUT_MS": "900",
            "LANA_DATABASE_BUSY_TIMEOUT_MS": "1500",
            "LANA_DATABASE_POOL_PRE_PING": "true",
            "LANA_DATABASE_APP_ROLE": "crm_app",
            "LANA_DATABASE_RELAY_ROLE": "",
            "LANA_DATABASE_SESSION_SCOPE": "false",
        }
    )

    sql = settings.database

    assert (sql.url, sql.pool_size, sql.max_overflow) == ("postgresql+psycopg://lana@db/lana", 3, 1)
    assert (sql.pool_timeout_seconds, sql.connect_timeout_seconds) == (0.5, 7.0)
    assert (sql.statement_timeout_ms, sql.busy_timeout_ms, sql.pool_pre_ping) == (900, 1500, True)
    assert (sql.app_role, sql.relay_role, sql.session_scope) == ("crm_app", None, False)
