"""The one settings object: every group read from LANA_* variables, refusals named by variable,
and the documentation tables generated from it."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lana_adapters.settings import Settings, settings_table
from lana_adapters.settings_docs import stale_documents
from lana_adapters.sql.settings import SqlSettings
from lana_adapters.variables import InvalidSettings, as_env, read_group

ROOT = Path(__file__).resolve().parents[2]


def _env_of(settings: Settings) -> dict[str, str]:
    return {name: value for group in _groups(settings) for name, value in as_env(group).items()}


def _groups(settings: Settings) -> list[object]:
    return [getattr(settings, field.name) for field in attrs.fields(Settings)]


def test_the_defaults_written_as_variables_read_back_as_the_defaults() -> None:
    assert Settings.from_env(_env_of(Settings())) == Settings()


@given(
    pool_size=st.integers(0, 500),
    pool_timeout_seconds=st.floats(0, 600, allow_nan=False),
    pool_pre_ping=st.booleans(),
    app_role=st.one_of(st.none(), st.from_regex(r"[a-z_]{1,20}", fullmatch=True)),
)
def test_database_settings_survive_a_trip_through_their_variables(
    pool_size: int, pool_timeout_seconds: float, pool_pre_ping: bool, app_role: str | None
) -> None:
    written = SqlSettings(
        pool_size=pool_size,
        pool_timeout_seconds=pool_timeout_seconds,
        pool_pre_ping=pool_pre_ping,
        app_role=app_role,
    )
    assert read_group(SqlSettings, as_env(written)) == written


def test_every_refused_value_is_named_by_its_variable_whatever_its_group() -> None:
    with pytest.raises(InvalidSettings) as refused:
        Settings.from_env(
            {
                "LANA_PORT": "eighty",
                "LANA_REDIS_URL": "redis://cache",
                "LANA_REDIS_TIMEOUT_SECONDS": "30",
                "LANA_OPENAI_MAX_OUTPUT_TOKENS": "5",
                "LANA_CONSUMER_MAX_ATTEMPTS": "many",
                "LANA_INSIGHT_BREAKER_FAILURES": "0",
            }
        )
    assert {error.field for error in refused.value.errors} == {
        "LANA_PORT",
        "LANA_REDIS_TIMEOUT_SECONDS",
        "LANA_OPENAI_MAX_OUTPUT_TOKENS",
        "LANA_CONSUMER_MAX_ATTEMPTS",
        "LANA_INSIGHT_BREAKER_FAILURES",
    }
    assert isinstance(refused.value, ValueError)  # commands refuse bad configuration as before


def test_an_empty_variable_is_an_unset_one() -> None:
    settings = Settings.from_env(
        {"LANA_DATABASE_POOL_SIZE": "", "LANA_OPENAI_BASE_URL": "", "LANA_WEBHOOK_ROUTES": ""}
    )
    assert settings.database.pool_size == SqlSettings().pool_size
    assert settings.openai.base_url is None
    assert settings.messaging.webhook_routes == ()  # empty routes: no webhooks, as documented


def test_secrets_of_every_group_are_known_and_kept_out_of_repr() -> None:
    settings = Settings.from_env(
        {
            "LANA_JWT_SECRET": "j" * 40,
            "LANA_OPENAI_API_KEY": "sk-key",
            "LANA_WEBHOOK_SECRET": "whsec-1",
            "LANA_METRICS_TOKEN": "scrape",
            "LANA_ADMIN_PASSWORD": "first-password",
            "LANA_REDIS_URL": "redis://:pw@cache:6379/0",
        }
    )
    assert sorted(settings.secrets()) == sorted(["j" * 40, "sk-key", "whsec-1", "scrape", "first-password"])
    shown = repr(settings)
    assert not [value for value in [*settings.secrets(), "redis://:pw@cache"] if value in shown]


def test_every_variable_is_listed_once() -> None:
    names = [name for name, _default, _meaning in settings_table()]
    assert len(names) == len(set(names))
    assert all(name.startswith("LANA_") for name in names)


def test_the_committed_settings_tables_are_the_generated_ones() -> None:
    assert stale_documents(ROOT) == [], "run: uv run python -m lana_adapters.settings_docs"
