"""The cache's value format and the Redis settings (no server needed)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from lana_adapters.redis import RedisSettings, UndecodableValue, ValueCodec
from lana_core.domain.analytics import Dashboard, Metrics
from tests.integration.redis.samples import SAMPLES, cached_values

CODEC = ValueCodec()


@given(value=cached_values)
def test_every_cached_value_round_trips(value: Any) -> None:
    assert CODEC.decode(CODEC.encode(value, type(value)), type(value)) == value


def test_a_stored_shape_that_no_longer_fits_is_undecodable() -> None:
    stored = CODEC.encode(SAMPLES[Metrics], Metrics)
    with pytest.raises(UndecodableValue):
        CODEC.decode(stored, Dashboard)
    with pytest.raises(UndecodableValue):
        CODEC.decode(b"not json", Metrics)


def test_a_time_without_zone_is_refused() -> None:
    stored = CODEC.encode(SAMPLES[Dashboard], Dashboard).replace(b"+00:00", b"")
    with pytest.raises(UndecodableValue):
        CODEC.decode(stored, Dashboard)


def test_no_redis_url_means_no_redis() -> None:
    assert RedisSettings.from_env({}) is None
    assert RedisSettings.from_env({"LANA_REDIS_URL": "  "}) is None


def test_settings_are_read_from_the_environment_with_short_timeouts_by_default() -> None:
    settings = RedisSettings.from_env(
        {"LANA_REDIS_URL": "redis://cache:6379/2", "LANA_REDIS_TIMEOUT_SECONDS": "0.1"}
    )
    assert settings is not None
    assert (settings.url, settings.timeout_seconds) == ("redis://cache:6379/2", 0.1)
    assert settings.connect_timeout_seconds <= 0.25
    assert "cache:6379" not in repr(settings)  # the URL may hold a password


@pytest.mark.parametrize(
    "environ",
    [
        {"LANA_REDIS_URL": "http://cache"},
        {"LANA_REDIS_URL": "redis://cache", "LANA_REDIS_TIMEOUT_SECONDS": "soon"},
        {"LANA_REDIS_URL": "redis://cache", "LANA_REDIS_TIMEOUT_SECONDS": "30"},
    ],
)
def test_unusable_settings_are_refused_naming_the_family(environ: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="LANA_REDIS_"):
        RedisSettings.from_env(environ)
