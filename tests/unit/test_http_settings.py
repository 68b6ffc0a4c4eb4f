"""HTTP settings from the environment, the signing secret, and If-Match parsing."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest

from lana_adapters.settings import Settings
from lana_core.errors import ValidationError
from lana_http.auth.secret import signing_secret
from lana_http.auth.tokens import TokenConfig
from lana_http.concurrency import optional_version, required_version
from lana_http.problems import HttpProblem


def test_http_settings_default_to_a_closed_embedded_setup() -> None:
    http = Settings.from_env({}).http
    assert http.cors_origins == ()
    assert "*" not in http.allowed_hosts
    assert http.access_token_ttl_seconds == 900
    assert http.jwt_secret is None


def test_http_settings_read_lists_flags_and_numbers_from_the_environment() -> None:
    environ = {
        "LANA_CORS_ORIGINS": "https://app.example.com, https://admin.example.com",
        "LANA_ALLOW_SIGNUP": "yes",
        "LANA_MAX_BODY_BYTES": "2048",
    }
    http = Settings.from_env(environ).http
    assert http.cors_origins == ("https://app.example.com", "https://admin.example.com")
    assert http.allow_signup is True
    assert http.max_body_bytes == 2048


def test_a_setting_that_does_not_parse_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.from_env({"LANA_PORT": "eighty", "LANA_ALLOW_SIGNUP": "maybe"})
    assert {error.field for error in caught.value.errors} == {"LANA_PORT", "LANA_ALLOW_SIGNUP"}


def test_an_embedded_database_gets_one_private_secret_beside_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'lana.db'}"
    first = signing_secret(None, url)
    assert signing_secret(None, url) == first
    assert len(first) >= 32
    secret_file = tmp_path / "lana.db.secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600


def test_a_configured_secret_wins_and_a_server_database_requires_one() -> None:
    assert signing_secret("s" * 40, "postgresql+psycopg://db/lana") == "s" * 40
    with pytest.raises(ValueError, match="LANA_JWT_SECRET"):
        signing_secret(None, "postgresql+psycopg://db/lana")
    assert signing_secret(None, "memory://") != signing_secret(None, "memory://")


def test_a_short_signing_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32"):
        TokenConfig(
            secret="short", issuer="i", audience="a", access_ttl=timedelta(1), refresh_ttl=timedelta(1)
        )


def test_if_match_forms() -> None:
    assert required_version('"3"') == 3
    assert required_version('W/"3"') == 3
    assert required_version("*") is None
    assert optional_version(None) is None
    with pytest.raises(HttpProblem) as missing:
        required_version(None)
    assert missing.value.status == 428
    # A tag that is not one of ours names version 0, which no record is ever at: the change
    # answers 404 for a missing record and 412 for a stored one.
    assert required_version('"v3"') == 0


@pytest.mark.parametrize("raw", ["-1", "nan"])
def test_a_negative_or_nan_number_is_refused(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.from_env({"LANA_DATABASE_POOL_TIMEOUT_SECONDS": raw})
    assert caught.value.errors[0].field == "LANA_DATABASE_POOL_TIMEOUT_SECONDS"
